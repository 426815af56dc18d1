-- Offices and, within $4..$5 (days, NULL = open), operations; $6 agencies (NULL = all).
SELECT ST_AsMVT(t, 'narvaro', 4096, 'geom', 'fid') FROM (
    SELECT o.id AS fid, /*PROPS_OFFICE*/,
           ST_AsMVTGeom(ST_Transform(o.geom, 3857), q.env, 4096, 64, true) AS geom
    FROM office o CROSS JOIN q
    WHERE o.geom && q.box AND ($6::text[] IS NULL OR o.agency = ANY ($6))
    UNION ALL
    SELECT 1000000000 + p.id, /*PROPS_OPERATION*/,
           ST_AsMVTGeom(ST_Transform(ST_SimplifyPreserveTopology(p.geom, q.px / 4), 3857), q.env, 4096, 64, true)
    FROM operation p CROSS JOIN q
    WHERE p.geom && q.box
      AND ($4::date IS NULL OR p.ends_on >= $4) AND ($5::date IS NULL OR p.starts_on <= $5)
      AND ($6::text[] IS NULL OR p.agencies && $6)
) t WHERE geom IS NOT NULL
