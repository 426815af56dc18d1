CREATE TEMP TABLE stage_office (
    line int, source text, source_id text, agency text, name text, staffed_hours_per_week double precision,
    lon double precision, lat double precision
) ON COMMIT DROP;
CREATE TEMP TABLE stage_operation (
    line int, source text, source_id text, name text, area_id text, agencies text[], starts_on date, ends_on date,
    person_hours double precision, samverkan_id text, polygon bytea
) ON COMMIT DROP;
