-- +goose Up
-- Incidents, their H3 cells and area assignment, agency presence, and aggregates kept up to date
-- by every import (same transaction).

-- Kommun polygons cut into small pieces: point-in-polygon against a few hundred vertices per
-- piece instead of whole kommuner keeps the assignment of a million points fast.
CREATE TABLE kommun_part (
    kommun_code text NOT NULL REFERENCES kommun (code) ON DELETE CASCADE,
    geom        geometry(Polygon, 3006) NOT NULL
);
CREATE INDEX kommun_part_geom_idx ON kommun_part USING gist (geom);

-- Area polygons cut the same way: candidates for ST_Contains come from the small parts (8× faster
-- than testing whole polygons), and ST_Contains on the whole polygon then decides exactly.
CREATE TABLE area_part (
    area_id text NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    geom    geometry(Polygon, 3006) NOT NULL
);
CREATE INDEX area_part_geom_idx ON area_part USING gist (geom);

CREATE TABLE import_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('incidents', 'presence', 'population', 'geodata')),
    file        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    report      jsonb NOT NULL,
    actor       text NOT NULL DEFAULT ''
);

CREATE TABLE incident (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source         text NOT NULL,
    source_id      text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    occurred_day   date NOT NULL,           -- in Europe/Stockholm
    published_at   timestamptz,
    category       text NOT NULL,
    category_group text NOT NULL,
    agency         text NOT NULL,           -- owning agency (scope filters may use it)
    classification text,
    samverkan_id   text,                    -- collaboration decision it was shared under
    precision      text NOT NULL CHECK (precision IN ('exact', 'kommun', 'lan')),
    -- Codes of the reference tables without foreign keys: the import resolves them by joining
    -- those tables, and a per-row FK check would cost a third of the import time.
    kommun_code    text,
    lan_code       text NOT NULL,
    region_code    text NOT NULL,      -- scope column for access control
    h3_5 bigint, h3_6 bigint, h3_7 bigint, h3_8 bigint, h3_9 bigint,
    geom           geometry(Point, 3006),
    location_name  text,
    title          text,
    summary        text,
    url            text,
    content_hash   bytea NOT NULL,
    import_id      bigint,            -- import_log.id
    UNIQUE (source, source_id),
    -- The precision rule: only exact incidents have a point and cells; kommun precision has a
    -- kommun; län precision has neither.
    CHECK ((precision = 'exact') = (geom IS NOT NULL)),
    CHECK ((precision = 'exact') = (h3_9 IS NOT NULL)),
    CHECK (precision <> 'kommun' OR kommun_code IS NOT NULL),
    CHECK (precision <> 'lan' OR kommun_code IS NULL)
);
CREATE INDEX incident_h3_9_idx ON incident (h3_9) WHERE h3_9 IS NOT NULL;

-- Exact incidents in the areas (of every list year) that contain them, by ST_Contains.
CREATE TABLE incident_area (
    area_id     text   NOT NULL REFERENCES area (id) ON DELETE CASCADE,
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    PRIMARY KEY (area_id, incident_id)
);
CREATE INDEX incident_area_incident_idx ON incident_area (incident_id);

-- Exact incidents per H3 cell (resolutions 5..9), day, category group and agency.
CREATE TABLE h3_agg (
    res            smallint NOT NULL CHECK (res BETWEEN 5 AND 9),
    cell           bigint   NOT NULL,
    day            date     NOT NULL,
    category_group text     NOT NULL,
    agency         text     NOT NULL,
    n              integer  NOT NULL CHECK (n >= 0),  -- rows reaching 0 are deleted in the same transaction
    PRIMARY KEY (res, cell, day, category_group, agency)
);

-- All incidents (every precision) per kommun / län / police region, day, group, agency.
CREATE TABLE admin_agg (
    level          text    NOT NULL CHECK (level IN ('kommun', 'lan', 'region')),
    code           text    NOT NULL,
    day            date    NOT NULL,
    category_group text    NOT NULL,
    agency         text    NOT NULL,
    precision      text    NOT NULL,
    n              integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (level, code, day, category_group, agency, precision)
);

CREATE TABLE office (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source                 text NOT NULL,
    source_id              text NOT NULL,
    agency                 text NOT NULL,
    name                   text NOT NULL,
    staffed_hours_per_week double precision NOT NULL CHECK (staffed_hours_per_week BETWEEN 0 AND 168),
    kommun_code            text REFERENCES kommun (code),
    region_code            text REFERENCES police_region (code),
    geom                   geometry(Point, 3006) NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX office_geom_idx ON office USING gist (geom);

CREATE TABLE operation (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL,
    source_id    text NOT NULL,
    name         text NOT NULL,
    area_id      text REFERENCES area (id),
    agencies     text[] NOT NULL CHECK (cardinality(agencies) > 0),
    starts_on    date NOT NULL,
    ends_on      date NOT NULL CHECK (ends_on >= starts_on),
    person_hours double precision NOT NULL CHECK (person_hours >= 0),
    samverkan_id text,
    region_code  text REFERENCES police_region (code),
    geom         geometry(MultiPolygon, 3006) NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX operation_geom_idx ON operation USING gist (geom);

-- Residents per area, an input table (lagesbild import population); estimates say so.
CREATE TABLE area_population (
    area_id    text PRIMARY KEY REFERENCES area (id) ON DELETE CASCADE,
    population integer NOT NULL CHECK (population >= 0),
    estimated  boolean NOT NULL,
    method     text NOT NULL,
    source     text NOT NULL
);

-- +goose Down
DROP TABLE area_part, area_population, operation, office, admin_agg, h3_agg, incident_area, incident, import_log, kommun_part;
