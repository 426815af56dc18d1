-- +goose Up
-- The joint lägesbild (issue 15): agencies, collaboration decisions (samverkansbeslut) and the
-- observations the agencies contribute, shared only under a decision.
--
-- Lag (2016:774) om uppgiftsskyldighet vid samverkan mot viss organiserad brottslighet lets the
-- agencies it names share information despite secrecy only inside a specially decided
-- collaboration. So every observation keeps its owning agency and the decision it is shared
-- under (none: its own agency only), and row-level security lets a reader see another agency's
-- observation only while a decision in which both agencies take part is valid (not revoked,
-- inside its validity period, at the time of the read) and covers the observation's place.
--
-- New per-transaction settings (set by the service next to those of 00008):
--   lagesbild.agency       the caller's agency (agency.code); unset: no observation at all
--   lagesbild.obs_all      'on': the caller's police geography is the whole country
--   lagesbild.obs_regions  comma-separated REGIONKOD of the caller's geography
--   lagesbild.obs_lpos     comma-separated OMRADESKOD of the caller's geography
-- The obs_* settings carry the caller's geography for observations. They are separate from
-- 00008's scope settings because an agency analyst (role myndighet) must not read the police's
-- incidents: the service leaves 00008's settings empty for that role, so every incident-derived
-- table stays closed to it, while its observations are scoped by obs_*.
SET LOCAL statement_timeout = 0;

CREATE TABLE agency (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,19}$'),
    name       text NOT NULL UNIQUE,
    short_name text NOT NULL
);
INSERT INTO agency (code, name, short_name) VALUES
    ('pm', 'Polismyndigheten', 'Polisen'),
    ('am', 'Åklagarmyndigheten', 'Åklagarmyndigheten'),
    ('ebm', 'Ekobrottsmyndigheten', 'EBM'),
    ('sapo', 'Säkerhetspolisen', 'Säpo'),
    ('skv', 'Skatteverket', 'Skatteverket'),
    ('kvv', 'Kriminalvården', 'Kriminalvården'),
    ('kfm', 'Kronofogdemyndigheten', 'Kronofogden'),
    ('kbv', 'Kustbevakningen', 'Kustbevakningen'),
    ('tv', 'Tullverket', 'Tullverket'),
    ('mv', 'Migrationsverket', 'Migrationsverket'),
    ('fk', 'Försäkringskassan', 'Försäkringskassan'),
    ('af', 'Arbetsförmedlingen', 'Arbetsförmedlingen'),
    ('ubm', 'Utbetalningsmyndigheten', 'Utbetalningsmyndigheten');
-- The codes are those of lagesbild.Agencies (internal/lagesbild/incident.go), which the
-- incident and presence feeds already use.

-- Identities belong to an agency. The police roles stay the police's; myndighet is the role of
-- another agency's analyst (observations only, never the police's incidents).
ALTER TABLE app_user DROP CONSTRAINT app_user_role_check,
    ADD CONSTRAINT app_user_role_check CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin', 'myndighet')),
    ADD COLUMN agency text NOT NULL DEFAULT 'pm' REFERENCES agency (code);
ALTER TABLE api_token DROP CONSTRAINT api_token_role_check,
    ADD CONSTRAINT api_token_role_check CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin', 'myndighet')),
    ADD COLUMN agency text NOT NULL DEFAULT 'pm' REFERENCES agency (code);

-- A collaboration decision. Its area scope is police regions, lokalpolisområden (an
-- observation is in an LPO when it lies in one of the LPO's utsatta områden) or areas (of any
-- list). It is valid from valid_from (inclusive) to valid_until (exclusive) unless revoked.
CREATE TABLE samverkansbeslut (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    purpose     text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
    legal_basis text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 500),
    agencies    text[] NOT NULL CHECK (cardinality(agencies) >= 2),
    regions     text[] NOT NULL DEFAULT '{}',
    lpos        text[] NOT NULL DEFAULT '{}',
    area_ids    text[] NOT NULL DEFAULT '{}',
    valid_from  timestamptz NOT NULL,
    valid_until timestamptz NOT NULL,
    decided_by  text NOT NULL CHECK (length(decided_by) BETWEEN 1 AND 200),
    decided_at  date NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text,
    demo        boolean NOT NULL DEFAULT false,
    revision    integer NOT NULL DEFAULT 1,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until > valid_from),
    CHECK (cardinality(regions) + cardinality(lpos) + cardinality(area_ids) > 0)
);
CREATE INDEX samverkansbeslut_agencies_idx ON samverkansbeslut USING gin (agencies);

-- Every version of every decision, kept by a trigger (append-only like the audit log).
CREATE TABLE samverkansbeslut_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id text NOT NULL,
    revision    integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    operation   text NOT NULL,
    changed_by  text NOT NULL,
    version     jsonb NOT NULL
);
CREATE TRIGGER samverkansbeslut_history_no_change BEFORE UPDATE OR DELETE ON samverkansbeslut_history
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER samverkansbeslut_history_no_truncate BEFORE TRUNCATE ON samverkansbeslut_history
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose StatementBegin
CREATE FUNCTION samverkansbeslut_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a samverkansbeslut is never deleted: revoke it' USING ERRCODE = '42501';
    END IF;
    SELECT string_agg(a, ', ') INTO bad FROM unnest(NEW.agencies) a WHERE a NOT IN (SELECT code FROM agency);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown agency: %', bad USING ERRCODE = '23503';
    END IF;
    SELECT string_agg(r, ', ') INTO bad FROM unnest(NEW.regions) r WHERE r NOT IN (SELECT code FROM police_region);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown police region: %', bad USING ERRCODE = '23503';
    END IF;
    SELECT string_agg(l, ', ') INTO bad FROM unnest(NEW.lpos) l WHERE l NOT IN (SELECT code FROM lokalpolisomrade);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown lokalpolisområde: %', bad USING ERRCODE = '23503';
    END IF;
    SELECT string_agg(x, ', ') INTO bad FROM unnest(NEW.area_ids) x WHERE x NOT IN (SELECT id FROM area);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown area: %', bad USING ERRCODE = '23503';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.revision := OLD.revision + 1;
        NEW.changed_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;
CREATE FUNCTION samverkansbeslut_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO samverkansbeslut_history (decision_id, revision, operation, changed_by, version)
    VALUES (NEW.id, NEW.revision, lower(TG_OP), NEW.changed_by, to_jsonb(NEW));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER samverkansbeslut_check BEFORE INSERT OR UPDATE OR DELETE ON samverkansbeslut
    FOR EACH ROW EXECUTE FUNCTION samverkansbeslut_check();
CREATE TRIGGER samverkansbeslut_record AFTER INSERT OR UPDATE ON samverkansbeslut
    FOR EACH ROW EXECUTE FUNCTION samverkansbeslut_record();

CREATE FUNCTION scope_agency() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('lagesbild.agency', true), '') $$;
CREATE FUNCTION obs_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('lagesbild.obs_all', true), '') = 'on' $$;
CREATE FUNCTION obs_regions() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT string_to_array(nullif(current_setting('lagesbild.obs_regions', true), ''), ',') $$;
CREATE FUNCTION obs_lpos() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT string_to_array(nullif(current_setting('lagesbild.obs_lpos', true), ''), ',') $$;

-- An agency's vocabulary of observation categories. Sensitive categories are published only
-- inside totals, never on their own.
CREATE TABLE observation_category (
    agency    text NOT NULL REFERENCES agency (code),
    code      text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
    label     text NOT NULL,
    sensitive boolean NOT NULL DEFAULT false,
    PRIMARY KEY (agency, code)
);
INSERT INTO observation_category (agency, code, label, sensitive) VALUES
    ('skv', 'folkbokforingskontroll', 'Folkbokföringskontroll', false),
    ('skv', 'kontrollbesok', 'Kontrollbesök (personalliggare)', false),
    ('fk', 'felaktig_utbetalning', 'Felaktig utbetalning', false),
    ('fk', 'misstankt_bedrageri', 'Misstänkt bidragsbrott', true),
    ('mv', 'arbetsplatsinspektion', 'Arbetsplatsinspektion', false),
    ('mv', 'utan_tillstand', 'Vistelse utan tillstånd', true),
    ('kfm', 'utmatning', 'Utmätning', false),
    ('kfm', 'avhysning', 'Avhysning', false),
    ('kvv', 'frivard_klient', 'Klienter i frivård', true),
    ('tv', 'beslag', 'Beslag', false),
    ('ebm', 'ekobrottsutredning', 'Ekobrottsutredning', false),
    ('af', 'felaktigt_stod', 'Felaktigt utbetalt stöd', false),
    ('pm', 'underrattelse', 'Underrättelse', true),
    ('pm', 'tips', 'Tips från allmänheten', false);

-- One observation: a record (a point or an area at a time; value 1 unless a count) or an
-- aggregated indicator (a count per area or H3 cell and month; observed_at is the month's
-- first instant, Swedish time). The scope columns are derived from the geometry on import:
-- the police region its point on surface lies in, the areas (of any list) it intersects and
-- their lokalpolisområden.
CREATE TABLE observation (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source         text NOT NULL,
    source_id      text NOT NULL,
    agency         text NOT NULL REFERENCES agency (code),
    kind           text NOT NULL CHECK (kind IN ('record', 'indicator')),
    category       text NOT NULL,
    observed_at    timestamptz NOT NULL,
    value          integer NOT NULL CHECK (value >= 0),
    precision      text NOT NULL CHECK (precision IN ('exact', 'area', 'cell')),
    area_id        text,
    h3             text,
    geom           geometry(Geometry, 3006) NOT NULL,
    classification text NOT NULL CHECK (classification IN ('oppen', 'sekretess')),
    decision_id    text REFERENCES samverkansbeslut (id),
    region_code    text REFERENCES police_region (code),
    kommun_code    text,
    lpo_codes      text[] NOT NULL DEFAULT '{}',
    area_ids       text[] NOT NULL DEFAULT '{}',
    synthetic      boolean NOT NULL DEFAULT false,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id),
    FOREIGN KEY (agency, category) REFERENCES observation_category (agency, code)
);
-- Imports of observations are logged like the others.
ALTER TABLE import_log DROP CONSTRAINT import_log_kind_check,
    ADD CONSTRAINT import_log_kind_check CHECK (kind IN ('incidents', 'presence', 'population', 'geodata', 'observations'));

CREATE INDEX observation_geom_idx ON observation USING gist (geom);
CREATE INDEX observation_region_idx ON observation (region_code, observed_at);
CREATE INDEX observation_area_ids_idx ON observation USING gin (area_ids);
CREATE INDEX observation_agency_idx ON observation (agency, decision_id);

-- Row-level security. Decisions: a reader sees those its agency takes part in.
ALTER TABLE samverkansbeslut ENABLE ROW LEVEL SECURITY;
CREATE POLICY samverkansbeslut_member ON samverkansbeslut FOR SELECT
    USING (scope_agency() = ANY (agencies) OR current_setting('lagesbild.role', true) = 'admin');

-- Observations: inside the caller's police geography, and either the caller's own agency's or
-- shared under a decision that is valid now, names both agencies and covers the place.
ALTER TABLE observation ENABLE ROW LEVEL SECURITY;
CREATE POLICY observation_visible ON observation FOR SELECT
    USING ((obs_all() OR region_code = ANY (obs_regions()) OR lpo_codes && obs_lpos())
           AND (agency = scope_agency()
                OR (decision_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM samverkansbeslut d
                    WHERE d.id = observation.decision_id
                      AND d.revoked_at IS NULL AND d.valid_from <= now() AND now() < d.valid_until
                      AND scope_agency() = ANY (d.agencies) AND observation.agency = ANY (d.agencies)
                      AND (observation.region_code = ANY (d.regions) OR observation.lpo_codes && d.lpos
                           OR observation.area_ids && d.area_ids)))));

-- The disclosure log is the audit log's disclosures (params.disclosures: one element per owner
-- agency and decision, written with the read's audit row before its response leaves). An
-- agency's analysts may list what of their agency's data was disclosed, admins everyone's;
-- nobody else reads the audit log.
CREATE INDEX audit_log_disclosure_idx ON audit_log (at) WHERE params ? 'disclosures';

-- +goose StatementBegin
CREATE FUNCTION disclosures(owner text, since timestamptz, until timestamptz, max_rows integer)
RETURNS TABLE (at timestamptz, subject text, reader_agency text, role text, owner_agency text, decision_id text,
               records integer, resource text, request_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT a.at, a.subject, coalesce(a.params->>'agency', ''), a.role, d->>'owner', d->>'decision',
       coalesce((d->>'records')::integer, 0), a.resource, a.request_id
FROM audit_log a CROSS JOIN LATERAL jsonb_array_elements(a.params->'disclosures') d
WHERE a.params ? 'disclosures'
  AND (since IS NULL OR a.at >= since) AND (until IS NULL OR a.at < until)
  AND (owner IS NULL OR d->>'owner' = owner)
  AND (current_setting('lagesbild.role', true) = 'admin'
       OR (scope_agency() IS NOT NULL AND d->>'owner' = scope_agency()))
ORDER BY a.at DESC, a.id DESC
LIMIT max_rows
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION disclosures(text, timestamptz, timestamptz, integer) FROM PUBLIC;

GRANT SELECT ON agency, observation_category TO lagesbild_reader;
GRANT SELECT ON samverkansbeslut, observation TO lagesbild_reader;
GRANT EXECUTE ON FUNCTION disclosures(text, timestamptz, timestamptz, integer) TO lagesbild_reader;

-- +goose Down
DROP FUNCTION disclosures(text, timestamptz, timestamptz, integer);
DROP INDEX audit_log_disclosure_idx;
DROP TABLE observation, observation_category;
DELETE FROM import_log WHERE kind = 'observations';
ALTER TABLE import_log DROP CONSTRAINT import_log_kind_check,
    ADD CONSTRAINT import_log_kind_check CHECK (kind IN ('incidents', 'presence', 'population', 'geodata'));
DROP TABLE samverkansbeslut_history, samverkansbeslut;
DROP FUNCTION samverkansbeslut_check(), samverkansbeslut_record();
DROP FUNCTION scope_agency(), obs_all(), obs_regions(), obs_lpos();
DELETE FROM app_user WHERE role = 'myndighet';
DELETE FROM api_token WHERE role = 'myndighet';
ALTER TABLE app_user DROP COLUMN agency, DROP CONSTRAINT app_user_role_check,
    ADD CONSTRAINT app_user_role_check CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin'));
ALTER TABLE api_token DROP COLUMN agency, DROP CONSTRAINT api_token_role_check,
    ADD CONSTRAINT api_token_role_check CHECK (role IN ('nationell', 'regional', 'lokal', 'gis', 'admin'));
DROP TABLE agency;
