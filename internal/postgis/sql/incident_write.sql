-- Changed records are updated in place; new records are inserted with the ids resolve took
-- from the identity sequence.
WITH upd AS (
    UPDATE incident i SET
        occurred_at = r.occurred_at, occurred_day = r.day, published_at = r.published_at,
        category = r.category, category_group = r.category_group, agency = r.agency,
        classification = r.classification, samverkan_id = r.samverkan_id, precision = r.precision,
        kommun_code = r.kommun_res, lan_code = r.lan_res, region_code = r.region_res,
        h3_5 = r.h3_5, h3_6 = r.h3_6, h3_7 = r.h3_7, h3_8 = r.h3_8, h3_9 = r.h3_9, geom = r.geom,
        location_name = r.location_name, title = r.title, summary = r.summary, url = r.url,
        content_hash = r.content_hash, import_id = $1
    FROM resolved r WHERE r.existing_id = i.id
    RETURNING i.id
)
INSERT INTO incident (id, source, source_id, occurred_at, occurred_day, published_at, category, category_group,
    agency, classification, samverkan_id, precision, kommun_code, lan_code, region_code,
    h3_5, h3_6, h3_7, h3_8, h3_9, geom, location_name, title, summary, url, content_hash, import_id)
OVERRIDING SYSTEM VALUE
SELECT incident_id, source, source_id, occurred_at, day, published_at, category, category_group, agency, classification,
       samverkan_id, precision, kommun_res, lan_res, region_res, h3_5, h3_6, h3_7, h3_8, h3_9, geom,
       location_name, title, summary, url, content_hash, $1
FROM resolved
WHERE existing_id IS NULL
