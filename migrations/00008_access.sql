-- +goose Up
-- Access control: accounts, API tokens, sessions, the read audit log, and row-level security on
-- every table that holds incident-derived or scoped data.
--
-- The service reads data as lagesbild_reader: not a superuser, not the tables' owner, no
-- BYPASSRLS. Each request runs in a transaction that first sets, with SET LOCAL (set_config(...,
-- true)), the caller's scope:
--   lagesbild.scope_all  'on' for the whole country
--   lagesbild.regions    comma-separated REGIONKOD
--   lagesbild.lpos       comma-separated OMRADESKOD
--   lagesbild.role       the caller's role (the audit log is readable by 'admin' only)
-- Unset settings mean no access: a query that forgets them sees nothing protected.
SET LOCAL statement_timeout = 0;

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lagesbild_reader') THEN
        CREATE ROLE lagesbild_reader NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    -- The migrating role may switch to it (SET ROLE) when no separate service login is configured.
    IF NOT pg_has_role(current_user, 'lagesbild_reader', 'MEMBER') THEN
        EXECUTE format('GRANT lagesbild_reader TO %I', current_user);
    END IF;
END
$$;
-- +goose StatementEnd

CREATE FUNCTION scope_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('lagesbild.scope_all', true), '') = 'on' $$;
CREATE FUNCTION scope_regions() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT string_to_array(nullif(current_setting('lagesbild.regions', true), ''), ',') $$;
CREATE FUNCTION scope_lpos() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT string_to_array(nullif(current_setting('lagesbild.lpos', true), ''), ',') $$;

-- Scope of each H3 cell: the police region of its centre (the nearest region for cells whose
-- centre lies at sea) and the lokalpolisområden of the areas (of any list) it touches. Cells
-- are coarse context: a cell on a region border counts the incidents of both sides.
ALTER TABLE h3_cell ADD COLUMN region_code text, ADD COLUMN lpo_codes text[] NOT NULL DEFAULT '{}';

-- +goose StatementBegin
CREATE FUNCTION refresh_cell_scope(only_cells bigint[]) RETURNS void LANGUAGE sql AS $$
UPDATE h3_cell c SET
    region_code = coalesce(
        (SELECT r.code FROM police_region r WHERE ST_Intersects(r.geom, ST_Centroid(c.geom)) ORDER BY r.code LIMIT 1),
        (SELECT r.code FROM police_region r ORDER BY r.geom <-> ST_Centroid(c.geom), r.code LIMIT 1)),
    lpo_codes = coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                          WHERE a.lpo_code IS NOT NULL AND a.geom && c.geom AND ST_Intersects(a.geom, c.geom)), '{}')
WHERE only_cells IS NULL OR c.cell = ANY(only_cells);
$$;
-- +goose StatementEnd
SELECT refresh_cell_scope(NULL);
CREATE INDEX h3_cell_region_idx ON h3_cell (region_code);
CREATE INDEX h3_cell_lpo_idx ON h3_cell USING gin (lpo_codes);

CREATE TABLE app_user (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin')),
    scope         text NOT NULL,          -- canonical: all | region:5400 | lpo:540210,540220 | none
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE api_token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,   -- sha256 of the token; the token itself is never stored
    name         text NOT NULL DEFAULT '',
    role         text NOT NULL CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin')),
    scope        text NOT NULL,
    layers       text[] NOT NULL DEFAULT '{}',
    max_res      smallint NOT NULL DEFAULT 0 CHECK (max_res BETWEEN 0 AND 9),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE TABLE user_session (
    id_hash    bytea PRIMARY KEY,         -- sha256 of the cookie value
    user_id    bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX user_session_user_idx ON user_session (user_id);

-- Who consulted or changed what (brottsdatalagen). Append-only: the reader role may only
-- insert, and a trigger refuses UPDATE and DELETE to everyone.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    subject    text NOT NULL,
    role       text NOT NULL,
    scope      text NOT NULL,
    action     text NOT NULL,
    resource   text NOT NULL,
    params     jsonb NOT NULL DEFAULT '{}',
    result     text NOT NULL,
    status     integer NOT NULL,
    request_id text NOT NULL DEFAULT '',
    client     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Row-level security. The owner (migrations, imports, account management) is not subject to it;
-- lagesbild_reader is, always.
ALTER TABLE area ENABLE ROW LEVEL SECURITY;
CREATE POLICY area_scope ON area FOR SELECT
    USING (scope_all() OR region_code = ANY (scope_regions()) OR lpo_code = ANY (scope_lpos()));

ALTER TABLE area_population ENABLE ROW LEVEL SECURITY;
CREATE POLICY area_population_scope ON area_population FOR SELECT
    USING (scope_all() OR EXISTS (SELECT 1 FROM area a WHERE a.id = area_population.area_id));

ALTER TABLE h3_cell ENABLE ROW LEVEL SECURITY;
CREATE POLICY h3_cell_scope ON h3_cell FOR SELECT
    USING (scope_all() OR region_code = ANY (scope_regions()) OR lpo_codes && scope_lpos());

ALTER TABLE h3_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY h3_agg_scope ON h3_agg FOR SELECT
    USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));

ALTER TABLE h3_total ENABLE ROW LEVEL SECURITY;
CREATE POLICY h3_total_scope ON h3_total FOR SELECT
    USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));

ALTER TABLE h3_cell_total ENABLE ROW LEVEL SECURITY;
CREATE POLICY h3_cell_total_scope ON h3_cell_total FOR SELECT
    USING (scope_all() OR cell IN (SELECT c.cell FROM h3_cell c));

ALTER TABLE incident ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_scope ON incident FOR SELECT
    USING (scope_all() OR region_code = ANY (scope_regions())
           OR (scope_lpos() IS NOT NULL AND EXISTS (
                SELECT 1 FROM incident_area ia JOIN area a ON a.id = ia.area_id
                WHERE ia.incident_id = incident.id AND a.lpo_code = ANY (scope_lpos()))));

ALTER TABLE incident_area ENABLE ROW LEVEL SECURITY;
CREATE POLICY incident_area_scope ON incident_area FOR SELECT
    USING (scope_all() OR EXISTS (SELECT 1 FROM area a WHERE a.id = incident_area.area_id));

ALTER TABLE admin_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_agg_scope ON admin_agg FOR SELECT
    USING (scope_all()
           OR (level = 'region' AND code = ANY (scope_regions()))
           OR (level = 'lan' AND code IN (SELECT l.code FROM lan l WHERE l.region_code = ANY (scope_regions())))
           OR (level = 'kommun' AND code IN (
                SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = ANY (scope_regions())
                UNION ALL
                SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY (scope_lpos()))));

ALTER TABLE office ENABLE ROW LEVEL SECURITY;
CREATE POLICY office_scope ON office FOR SELECT
    USING (scope_all() OR region_code = ANY (scope_regions())
           OR kommun_code IN (SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY (scope_lpos())));

ALTER TABLE operation ENABLE ROW LEVEL SECURITY;
CREATE POLICY operation_scope ON operation FOR SELECT
    USING (scope_all() OR region_code = ANY (scope_regions())
           OR area_id IN (SELECT a.id FROM area a WHERE a.lpo_code = ANY (scope_lpos())));

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
    USING (current_setting('lagesbild.role', true) = 'admin');
CREATE POLICY audit_log_append ON audit_log FOR INSERT WITH CHECK (true);

-- What the reader may touch. Reference tables (boundaries, lists) are public knowledge; the
-- account tables and the import log are not granted at all.
GRANT USAGE ON SCHEMA public TO lagesbild_reader;
GRANT SELECT ON data_version, police_region, lan, kommun, deso, polisomrade, lokalpolisomrade,
    area_set, area_identity, area_lineage, kommun_part, area_part TO lagesbild_reader;
GRANT SELECT ON area, area_population, h3_cell, h3_agg, h3_total, h3_cell_total, incident, incident_area,
    admin_agg, office, operation TO lagesbild_reader;
GRANT SELECT, INSERT ON audit_log TO lagesbild_reader;
GRANT SELECT ON goose_db_version TO lagesbild_reader;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM lagesbild_reader;
REVOKE USAGE ON SCHEMA public FROM lagesbild_reader;
DROP POLICY area_scope ON area;
DROP POLICY area_population_scope ON area_population;
DROP POLICY h3_cell_scope ON h3_cell;
DROP POLICY h3_agg_scope ON h3_agg;
DROP POLICY h3_cell_total_scope ON h3_cell_total;
DROP POLICY h3_total_scope ON h3_total;
ALTER TABLE h3_total DISABLE ROW LEVEL SECURITY;
DROP POLICY incident_scope ON incident;
DROP POLICY incident_area_scope ON incident_area;
DROP POLICY admin_agg_scope ON admin_agg;
DROP POLICY office_scope ON office;
DROP POLICY operation_scope ON operation;
ALTER TABLE area DISABLE ROW LEVEL SECURITY;
ALTER TABLE area_population DISABLE ROW LEVEL SECURITY;
ALTER TABLE h3_cell DISABLE ROW LEVEL SECURITY;
ALTER TABLE h3_agg DISABLE ROW LEVEL SECURITY;
ALTER TABLE h3_cell_total DISABLE ROW LEVEL SECURITY;
ALTER TABLE incident DISABLE ROW LEVEL SECURITY;
ALTER TABLE incident_area DISABLE ROW LEVEL SECURITY;
ALTER TABLE admin_agg DISABLE ROW LEVEL SECURITY;
ALTER TABLE office DISABLE ROW LEVEL SECURITY;
ALTER TABLE operation DISABLE ROW LEVEL SECURITY;
DROP TABLE audit_log, user_session, api_token, app_user;
DROP FUNCTION audit_log_append_only();
DROP FUNCTION refresh_cell_scope(bigint[]);
DROP INDEX h3_cell_region_idx, h3_cell_lpo_idx;
ALTER TABLE h3_cell DROP COLUMN region_code, DROP COLUMN lpo_codes;
DROP FUNCTION scope_all(), scope_regions(), scope_lpos();
