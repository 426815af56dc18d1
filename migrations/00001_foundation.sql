-- +goose Up
-- Foundation schema: police geography, SCB boundaries and population, the police lists of
-- utsatta områden with a cross-year identity. Geometries are stored in EPSG:3006 (SWEREF 99 TM,
-- metres) and published in WGS84 / Web Mercator by the queries that read them.
CREATE EXTENSION IF NOT EXISTS postgis;

-- data_version changes on every import that changes data; caches key on it.
CREATE TABLE data_version (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint      NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version (version) VALUES (1);

CREATE TABLE police_region (
    code  text PRIMARY KEY CHECK (code ~ '^5[1-7]00$'),  -- Polisen REGIONKOD
    name  text NOT NULL UNIQUE,                            -- Nord, Mitt, Stockholm, ...
    geom  geometry(MultiPolygon, 3006) NOT NULL
);

CREATE TABLE lan (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name        text NOT NULL,        -- "Stockholms län"
    short_name  text NOT NULL,        -- "Stockholm"
    region_code text NOT NULL REFERENCES police_region (code),
    geom        geometry(MultiPolygon, 3006) NOT NULL
);

CREATE TABLE kommun (
    code            text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
    name            text NOT NULL,    -- "Upplands Väsby"
    lan_code        text NOT NULL REFERENCES lan (code),
    population      integer,          -- SCB folkmängd at population_date
    population_date date,
    geom            geometry(MultiPolygon, 3006) NOT NULL
);

-- Population per DeSO (no DeSO polygons are bundled).
CREATE TABLE deso (
    code            text PRIMARY KEY CHECK (code ~ '^[0-9]{4}[ABC][0-9]{4}$'),
    kommun_code     text NOT NULL REFERENCES kommun (code),
    population_2023 integer NOT NULL,
    population_2022 integer,
    stats           jsonb NOT NULL DEFAULT '{}'   -- the other SCB columns, as published
);

-- Police districts known from the police's own area files.
CREATE TABLE polisomrade (
    code        text PRIMARY KEY CHECK (code ~ '^5[1-7][0-9]{2}$'),
    name        text NOT NULL,
    region_code text NOT NULL REFERENCES police_region (code)
);

CREATE TABLE lokalpolisomrade (
    code             text PRIMARY KEY CHECK (code ~ '^5[1-7][0-9]{4}$'),  -- OMRADESKOD
    name             text NOT NULL,
    polisomrade_code text NOT NULL REFERENCES polisomrade (code),
    region_code      text NOT NULL REFERENCES police_region (code)
);

-- One row per police list of utsatta områden.
CREATE TABLE area_set (
    year              integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    label             text    NOT NULL,
    published         date    NOT NULL,
    geometry_official boolean NOT NULL,  -- false: shapes approximated from a later list
    note              text    NOT NULL DEFAULT ''
);

-- A stable cross-year identity: SO<SPECIALOMRADES_ID> or UOP<panel id> (geodata/crosswalk).
CREATE TABLE area_identity (
    area_key          text PRIMARY KEY CHECK (area_key ~ '^(SO|UOP)[0-9]+$'),
    specialomrades_id integer UNIQUE,
    panel_id          integer
);

CREATE TABLE area_lineage (
    area_key        text    NOT NULL REFERENCES area_identity (area_key),
    predecessor_key text    NOT NULL REFERENCES area_identity (area_key),
    year            integer NOT NULL,
    kind            text    NOT NULL CHECK (kind IN ('split', 'renumbered', 'merged')),
    note            text    NOT NULL DEFAULT '',
    PRIMARY KEY (area_key, predecessor_key)
);

CREATE TABLE area (
    id                text PRIMARY KEY,   -- "<year>-<area_key>", stable across imports
    set_year          integer NOT NULL REFERENCES area_set (year),
    area_key          text    NOT NULL REFERENCES area_identity (area_key),
    name              text    NOT NULL,
    class             text    NOT NULL CHECK (class IN ('utsatt', 'risk', 'sarskilt_utsatt')),
    class_polisen     text    NOT NULL,   -- the class as the police wrote it
    ort               text,               -- police place name, not a kommun
    kommun_code       text    NOT NULL REFERENCES kommun (code),
    -- Scope columns (region / lokalpolisområde) used by access control and row-level security.
    region_code       text    NOT NULL REFERENCES police_region (code),
    polisomrade_code  text REFERENCES polisomrade (code),
    lpo_code          text REFERENCES lokalpolisomrade (code),
    lpo_source_year   integer,            -- list year the LPO attributes come from (later list for old years)
    classified_from   date,               -- AKTUALITET_START
    classified_until  date,               -- AKTUALITET_SLUT
    geometry_official boolean NOT NULL,   -- official police polygon for this list year
    geometry_source   text    NOT NULL,   -- bundled file the polygon comes from
    source            text    NOT NULL,   -- provenance of the row
    geom              geometry(MultiPolygon, 3006) NOT NULL CHECK (ST_IsValid(geom)),
    UNIQUE (set_year, area_key)
);
CREATE INDEX area_set_year_idx ON area (set_year);
CREATE INDEX area_region_idx ON area (region_code);
CREATE INDEX area_lpo_idx ON area (lpo_code);

CREATE INDEX police_region_geom_idx ON police_region USING gist (geom);
CREATE INDEX lan_geom_idx ON lan USING gist (geom);
CREATE INDEX kommun_geom_idx ON kommun USING gist (geom);
CREATE INDEX kommun_lan_idx ON kommun (lan_code);
CREATE INDEX deso_kommun_idx ON deso (kommun_code);
CREATE INDEX area_geom_idx ON area USING gist (geom);

-- +goose Down
DROP TABLE area, area_lineage, area_identity, area_set, lokalpolisomrade, polisomrade, deso, kommun,
    lan, police_region, data_version;
