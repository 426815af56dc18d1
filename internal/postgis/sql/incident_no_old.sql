-- Nothing is updated: the tables incident_old_delta fills stay empty.
CREATE TEMP TABLE old_rows (LIKE incident) ON COMMIT DROP;

CREATE TEMP TABLE old_area (area_id text, incident_id bigint) ON COMMIT DROP
