CREATE TEMP TABLE stage_observation (
    line int, source text, source_id text, agency text, kind text, category text, observed_at timestamptz,
    value integer, precision text, area_id text, h3 text, lon double precision, lat double precision,
    polygon bytea, classification text, decision_id text, synthetic boolean
) ON COMMIT DROP;
