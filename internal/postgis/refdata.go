package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/refdata"
)

// RefdataReport says what an import of the bundled geodata changed.
type RefdataReport struct {
	Tables      []TableChange
	DataVersion int64
	Warnings    []string
}

// Changed reports whether any table changed.
func (r RefdataReport) Changed() bool {
	for _, t := range r.Tables {
		if t.Changed() {
			return true
		}
	}
	return false
}

// ImportRefdata loads the bundle in one transaction: either everything is stored or nothing
// changes. Rows equal to what is stored are left alone, so re-importing the same bundle changes
// nothing, not even the data version.
func (db *DB) ImportRefdata(ctx context.Context, b *refdata.Bundle) (RefdataReport, error) {
	rep := RefdataReport{Warnings: b.Warnings}
	bulks, err := refdataBulks(b)
	if err != nil {
		return rep, fmt.Errorf("postgis: import geodata: %w", err)
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := beginImport(ctx, tx); err != nil {
			return err
		}
		for _, bk := range bulks {
			ch, err := sync(ctx, tx, bk)
			if err != nil {
				return err
			}
			rep.Tables = append(rep.Tables, ch)
		}
		// Children first, so foreign keys hold while stale rows go.
		for i := len(bulks) - 1; i >= 0; i-- {
			if !bulks[i].deleteMissing {
				continue
			}
			n, err := deleteMissing(ctx, tx, bulks[i])
			if err != nil {
				return err
			}
			rep.Tables[i].Deleted = n
		}
		if err := checkAreaLineage(ctx, tx); err != nil {
			return err
		}
		var parts int
		if err := tx.QueryRow(ctx, `SELECT least((SELECT count(*) FROM kommun_part), (SELECT count(*) FROM area_part))`).Scan(&parts); err != nil {
			return translate(err)
		}
		if parts == 0 || rep.Changed() {
			if _, err := tx.Exec(ctx, query("kommun_part_rebuild")); err != nil {
				return fmt.Errorf("subdivide kommuner: %w", translate(err))
			}
			// The kommun of each hot-spot cell is the kommun polygon holding its centre.
			if _, err := tx.Exec(ctx, `SELECT refresh_cell_kommun(NULL)`); err != nil {
				return fmt.Errorf("cell kommuner: %w", translate(err))
			}
		}
		if rep.Changed() {
			// Areas and regions decide which cells each scope sees.
			if _, err := tx.Exec(ctx, `SELECT refresh_cell_scope(NULL)`); err != nil {
				return fmt.Errorf("cell scopes: %w", translate(err))
			}
			// The lokalpolisområden of the areas an incident lies in are part of the keys of
			// area_agg (its row-level security reads them).
			if _, err := tx.Exec(ctx, `SELECT rebuild_area_agg()`); err != nil {
				return fmt.Errorf("area aggregates: %w", translate(err))
			}
		}
		return bumpVersionIf(ctx, tx, rep.Changed(), &rep.DataVersion)
	})
	if err != nil {
		return rep, fmt.Errorf("postgis: import geodata: %w", err)
	}
	db.logger.Info("geodata imported", "changed", rep.Changed(), "data_version", rep.DataVersion)
	return rep, nil
}

// bumpVersionIf increments the data version when changed is true, and reports the current one.
func bumpVersionIf(ctx context.Context, tx pgx.Tx, changed bool, version *int64) error {
	q := `SELECT version FROM data_version`
	if changed {
		q = `UPDATE data_version SET version = version + 1, changed_at = now() RETURNING version`
	}
	return translate(tx.QueryRow(ctx, q).Scan(version))
}

// checkAreaLineage verifies that each 2025 area that got a new identifier overlaps the 2023 polygon
// of its predecessor: the crosswalk is kept by hand, and a typo there must fail the import.
func checkAreaLineage(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, query("lineage_check"))
	if err != nil {
		return translate(err)
	}
	bad, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return translate(err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("crosswalk/area_lineage.csv: areas that do not overlap their predecessor: %v", bad)
	}
	return nil
}

func refdataBulks(b *refdata.Bundle) ([]bulk, error) {
	// Parents come before children.
	var regions, lan, kommuner, deso, pos, lpos, sets, ids, lineage, areas [][]any
	for _, r := range b.Regions {
		g, err := wkbOf(r.Geom)
		if err != nil {
			return nil, err
		}
		regions = append(regions, []any{r.Code, r.Name, g})
	}
	for _, l := range b.Lan {
		g, err := wkbOf(l.Geom)
		if err != nil {
			return nil, err
		}
		lan = append(lan, []any{l.Code, l.Name, l.ShortName, l.RegionCode, g})
	}
	for _, k := range b.Kommuner {
		g, err := wkbOf(k.Geom)
		if err != nil {
			return nil, err
		}
		kommuner = append(kommuner, []any{k.Code, k.Name, k.LanCode, nullable(k.Population), k.PopulationDate, g})
	}
	for _, d := range b.Deso {
		deso = append(deso, []any{d.Code, d.KommunCode, d.Pop2023, nullable(d.Pop2022), d.Stats})
	}
	for _, p := range b.Polisomraden {
		pos = append(pos, []any{p.Code, p.Name, p.RegionCode})
	}
	for _, l := range b.LPOs {
		lpos = append(lpos, []any{l.Code, l.Name, l.PolisomradeCode, l.RegionCode})
	}
	for _, s := range b.Sets {
		sets = append(sets, []any{s.Year, s.Label, s.Published, s.GeometryOfficial, s.Note})
	}
	for _, id := range b.Identities {
		ids = append(ids, []any{id.Key, nullable(id.SpecialomradesID), nullable(id.PanelID)})
	}
	for _, l := range b.Lineage {
		lineage = append(lineage, []any{l.Key, l.PredecessorKey, l.Year, l.Kind, l.Note})
	}
	for _, a := range b.Areas {
		g, err := wkbOf(a.Geom)
		if err != nil {
			return nil, err
		}
		areas = append(areas, []any{a.ID, a.Set, a.AreaKey, a.Name, string(a.Class), a.ClassPolisen, nullable(a.Ort),
			a.KommunCode, a.RegionCode, nullable(a.PolisomradeCode), nullable(a.LPOCode), nullable(a.LPOSourceYear),
			a.ClassifiedFrom, a.ClassifiedUntil, a.GeometryOfficial, a.GeometrySource, a.Source, g})
	}
	return []bulk{
		{table: "police_region", key: []string{"code"}, cols: []string{"code", "name", "geom"}, geom: "geom", rows: regions},
		{table: "lan", key: []string{"code"}, cols: []string{"code", "name", "short_name", "region_code", "geom"}, geom: "geom", rows: lan},
		{table: "kommun", key: []string{"code"}, cols: []string{"code", "name", "lan_code", "population", "population_date", "geom"}, geom: "geom", rows: kommuner},
		{table: "deso", key: []string{"code"}, cols: []string{"code", "kommun_code", "population_2023", "population_2022", "stats"}, rows: deso, deleteMissing: true},
		{table: "polisomrade", key: []string{"code"}, cols: []string{"code", "name", "region_code"}, rows: pos, deleteMissing: true},
		{table: "lokalpolisomrade", key: []string{"code"}, cols: []string{"code", "name", "polisomrade_code", "region_code"}, rows: lpos, deleteMissing: true},
		{table: "area_set", key: []string{"year"}, cols: []string{"year", "label", "published", "geometry_official", "note"}, rows: sets},
		{table: "area_identity", key: []string{"area_key"}, cols: []string{"area_key", "specialomrades_id", "panel_id"}, rows: ids, deleteMissing: true},
		{table: "area_lineage", key: []string{"area_key", "predecessor_key"}, cols: []string{"area_key", "predecessor_key", "year", "kind", "note"}, rows: lineage, deleteMissing: true},
		{table: "area", key: []string{"id"}, cols: []string{"id", "set_year", "area_key", "name", "class", "class_polisen", "ort",
			"kommun_code", "region_code", "polisomrade_code", "lpo_code", "lpo_source_year", "classified_from", "classified_until",
			"geometry_official", "geometry_source", "source", "geom"}, geom: "geom", rows: areas, deleteMissing: true},
	}, nil
}
