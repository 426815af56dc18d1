-- +goose Up
-- The admin series keep months only (issue 14, session 11: aggregates much smaller than the
-- incidents, as 00033 did for h3_agg).
--
-- admin_agg held one row per (level, code, day, group, agency, precision): about 0.78 M rows
-- and 104 MB for 1 M incidents, all merged in the import's transaction, beside admin_month_agg
-- (00012) with the same counts per calendar month. Its only readers were the days of a
-- period's partial first and last month of the kommun counts (summaries: exact incidents;
-- compstat of a kommun: every precision) and the newest incident day. Those now come from
-- incident: kommun_partial_days counts the days through the kommun index of 00017, which now
-- holds every incident with a kommun and carries the precision as its last key column (the
-- Knox test's exact reads stay one index range; the kommun precision the compstat counts needs
-- no second index); admin_newest_day finds the newest month under admin_month_agg's policy and
-- the day within it through the day indexes of incident. Both are SECURITY DEFINER with
-- admin_agg's policy written out, so a caller gets the answers admin_agg gave: a kommun is
-- visible whole (not only the incidents in the caller's areas, as incident's policy would).
SET LOCAL statement_timeout = 0;

DROP TABLE admin_agg;

CREATE INDEX incident_kommun_group_day_all_idx ON incident (kommun_code, category_group, occurred_day, precision)
    WHERE kommun_code IS NOT NULL;
DROP INDEX incident_kommun_group_day_idx;
ALTER INDEX incident_kommun_group_day_all_idx RENAME TO incident_kommun_group_day_idx;

-- The newest day of the incidents without a cell (kommun and län precision, a small part of the
-- records; none in an import of exact records only): incident_day_h3_8_idx (00033) has the rest.
CREATE INDEX incident_day_coarse_idx ON incident (occurred_day) WHERE h3_8 IS NULL;

-- +goose StatementBegin
-- kommun_partial_days returns (code, i, category_group, n): the incidents of each kommun of
-- kommuner on the days of the half-open ranges [d_lo, d_hi) (tagged i, from the parallel array
-- tags; NULL tags give i NULL), per category group, of the precisions precs (NULL: every
-- precision), for the kommuner the caller may see: the kommun rows admin_agg's policy (00008)
-- and admin_month_agg's (00012) let through — those of a region in scope and those with an
-- area of a lokalpolisområde in scope (such an area is visible to the caller under area's own
-- policy). Only the groups admin_month_agg has for the kommun in the ranges' months are
-- looked up, each one index range of incident_kommun_group_day_idx.
CREATE FUNCTION kommun_partial_days(kommuner text[], d_lo date[], d_hi date[], tags integer[], precs text[])
RETURNS TABLE (code text, i integer, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH r AS (
    SELECT * FROM unnest(d_lo, d_hi, tags) AS r(lo, hi, i) WHERE r.lo < r.hi
), k AS (
    SELECT DISTINCT c.code
    FROM unnest(kommuner) AS c(code)
    WHERE scope_all()
       OR c.code IN (SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = ANY (scope_regions())
                     UNION ALL
                     SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY (scope_lpos()))
)
SELECT k.code, r.i, g.category_group, c.n
FROM k
CROSS JOIN r
CROSS JOIN LATERAL (
    SELECT DISTINCT a.category_group FROM admin_month_agg a
    WHERE a.level = 'kommun' AND a.code = k.code
      AND a.month >= date_trunc('month', r.lo::timestamp)::date AND a.month < r.hi
      AND (precs IS NULL OR a.precision = ANY (precs))
) g
CROSS JOIN LATERAL (
    SELECT count(*)::int AS n FROM incident x
    WHERE x.kommun_code = k.code AND x.category_group = g.category_group
      AND x.occurred_day >= r.lo AND x.occurred_day < r.hi
      AND (precs IS NULL OR x.precision = ANY (precs))
) c
WHERE c.n > 0
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- admin_newest_day returns the newest day of the incidents the caller may see in the admin
-- series (what max(day) of admin_agg gave under its policy): the newest month of the visible
-- rows of admin_month_agg, each level through its primary key (every incident has a region
-- row, so with the whole country the region rows decide), then the newest day in that month of
-- an incident counted in a visible row, by a backward scan of the day indexes that stops at the
-- first such incident.
CREATE FUNCTION admin_newest_day() RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH l AS (
    SELECT l.code FROM lan l WHERE l.region_code = ANY (scope_regions())
), k AS (
    SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = ANY (scope_regions())
    UNION ALL
    SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY (scope_lpos())
), m AS (
    SELECT greatest(
        (SELECT max(a.month) FROM admin_month_agg a
         WHERE a.level = 'region' AND (scope_all() OR a.code = ANY (scope_regions()))),
        (SELECT max(a.month) FROM admin_month_agg a WHERE a.level = 'lan' AND a.code IN (SELECT code FROM l)),
        (SELECT max(a.month) FROM admin_month_agg a WHERE a.level = 'kommun' AND a.code IN (SELECT code FROM k))) AS lo
), b AS (
    SELECT m.lo, (m.lo + interval '1 month')::date AS hi FROM m
)
SELECT greatest(
    (SELECT max(x.occurred_day) FROM incident x
     WHERE x.h3_8 IS NOT NULL AND x.occurred_day >= b.lo AND x.occurred_day < b.hi
       AND (scope_all() OR x.region_code = ANY (scope_regions())
            OR x.lan_code IN (SELECT code FROM l) OR x.kommun_code IN (SELECT code FROM k))),
    (SELECT max(x.occurred_day) FROM incident x
     WHERE x.h3_8 IS NULL AND x.occurred_day >= b.lo AND x.occurred_day < b.hi
       AND (scope_all() OR x.region_code = ANY (scope_regions())
            OR x.lan_code IN (SELECT code FROM l) OR x.kommun_code IN (SELECT code FROM k))))
FROM b
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION kommun_partial_days(text[], date[], date[], integer[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_newest_day() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kommun_partial_days(text[], date[], date[], integer[], text[]) TO lagesbild_reader;
GRANT EXECUTE ON FUNCTION admin_newest_day() TO lagesbild_reader;

-- +goose Down
SET LOCAL statement_timeout = 0;
DROP FUNCTION admin_newest_day();
DROP FUNCTION kommun_partial_days(text[], date[], date[], integer[], text[]);
DROP INDEX incident_day_coarse_idx;
CREATE INDEX incident_kommun_group_day_old_idx ON incident (kommun_code, category_group, occurred_day)
    WHERE precision = 'exact';
DROP INDEX incident_kommun_group_day_idx;
ALTER INDEX incident_kommun_group_day_old_idx RENAME TO incident_kommun_group_day_idx;

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
INSERT INTO admin_agg (level, code, day, category_group, agency, precision, n)
SELECT l.level, l.code, i.occurred_day, i.category_group, i.agency, i.precision, count(*)::int
FROM incident i
CROSS JOIN LATERAL (VALUES ('kommun', i.kommun_code), ('lan', i.lan_code), ('region', i.region_code)) l(level, code)
WHERE l.code IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;
CREATE INDEX admin_agg_day_idx ON admin_agg (day);
ALTER TABLE admin_agg ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_agg_scope ON admin_agg FOR SELECT
    USING (scope_all()
           OR (level = 'region' AND code = ANY (scope_regions()))
           OR (level = 'lan' AND code IN (SELECT l.code FROM lan l WHERE l.region_code = ANY (scope_regions())))
           OR (level = 'kommun' AND code IN (
                SELECT k.code FROM kommun k JOIN lan l ON l.code = k.lan_code WHERE l.region_code = ANY (scope_regions())
                UNION ALL
                SELECT a.kommun_code FROM area a WHERE a.lpo_code = ANY (scope_lpos()))));
GRANT SELECT ON admin_agg TO lagesbild_reader;
ANALYZE admin_agg;
