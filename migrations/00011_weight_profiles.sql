-- +goose Up
-- Saved weightings of the prioritisation model, so that each region (and the national level)
-- can discuss and reuse its own. region_code NULL: a national profile, visible to every analyst;
-- otherwise visible to the analysts of that region (and its lokalpolisområden).
CREATE TABLE weight_profile (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    region_code text REFERENCES police_region (code),
    description text NOT NULL DEFAULT '',
    weights     jsonb NOT NULL CHECK (jsonb_typeof(weights) = 'object'),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE weight_profile;
