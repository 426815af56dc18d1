-- Observations as the caller reads them: row-level security (migration 00023) keeps only its
-- own agency's and those shared with it under a valid decision covering the place, within its
-- geography. The filters are parameters; an empty one does not filter.
SELECT o.id, o.agency, o.kind, o.category, coalesce(c.label, o.category), coalesce(c.sensitive, false), o.observed_at,
       o.value, o.precision, coalesce(o.area_id, ''), coalesce(o.h3, ''), o.classification, coalesce(o.decision_id, ''),
       coalesce(o.region_code, ''), coalesce(o.kommun_code, ''), o.lpo_codes, o.area_ids, o.synthetic,
       CASE WHEN $9 THEN ST_AsGeoJSON(ST_Transform(o.geom, 4326), 6) END
FROM observation o
LEFT JOIN observation_category c ON c.agency = o.agency AND c.code = o.category
WHERE ($1::timestamptz IS NULL OR o.observed_at >= $1) AND ($2::timestamptz IS NULL OR o.observed_at < $2)
  AND ($3 = '' OR o.region_code = $3) AND ($4 = '' OR o.area_ids @> ARRAY[$4::text])
  AND ($5 = '' OR o.agency = $5) AND ($6 = '' OR o.category = $6) AND ($7 = '' OR o.kind = $7)
  AND ($8::double precision[] IS NULL
       OR o.geom && ST_Transform(ST_MakeEnvelope($8[1], $8[2], $8[3], $8[4], 4326), 3006))
ORDER BY o.observed_at, o.id
LIMIT $10
