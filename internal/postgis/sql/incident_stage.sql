CREATE TEMP TABLE stage_incident (
    line           integer NOT NULL,
    source         text NOT NULL,
    source_id      text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    published_at   timestamptz,
    category       text NOT NULL,
    category_group text NOT NULL,
    agency         text NOT NULL,
    classification text,
    samverkan_id   text,
    precision      text NOT NULL,
    kommun_code    text,
    lan_code       text,
    lon double precision, lat double precision,
    h3_5 bigint, h3_6 bigint, h3_7 bigint, h3_8 bigint, h3_9 bigint, place_cell bigint,
    location_name  text,
    title          text,
    summary        text,
    url            text,
    content_hash   bytea NOT NULL
) ON COMMIT DROP;

-- The records the store found unchanged before COPY and did not send (incidents.go,
-- loadKnown): their lines and keys still count for the duplicate check.
CREATE TEMP TABLE stage_skipped (
    line      integer NOT NULL,
    source    text NOT NULL,
    source_id text NOT NULL
) ON COMMIT DROP
