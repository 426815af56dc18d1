package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// ImportObservations stores the observations of one file in one transaction, upserted by
// (source, source_id). Records the database cannot accept (an unknown area, category or
// decision, a decision the owner is no member of, a place outside Sweden) reject the file.
// spill, when not nil, receives every rejected record.
func (db *DB) ImportObservations(ctx context.Context, file, source string, obs []lagesbild.Observation, spill func(lagesbild.ImportError) error) (lagesbild.ImportReport, error) {
	release, err := db.importSlot()
	if err != nil {
		return lagesbild.ImportReport{}, err
	}
	defer release()
	rep := lagesbild.ImportReport{Read: len(obs), PerPrecision: map[lagesbild.Precision]int{}, UnknownTypes: map[string]int{}}
	rejects := lagesbild.Rejects{Spill: spill}
	errInvalid := errors.New("rejected")
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := beginImport(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, query("observation_stage")); err != nil {
			return translate(err)
		}
		rows := make([][]any, 0, len(obs))
		for _, o := range obs {
			var poly []byte
			var lon, lat any
			if o.Polygon != nil {
				var err error
				if poly, err = wkb.Marshal(o.Polygon); err != nil {
					return err
				}
			} else if o.AreaID == "" {
				lon, lat = o.Point[0], o.Point[1]
			}
			rep.PerPrecision[o.Precision]++
			rows = append(rows, []any{o.Line, source, o.SourceID, o.Agency, o.Kind, o.Category, o.ObservedAt, o.Value,
				string(o.Precision), nullable(o.AreaID), nullable(o.H3), lon, lat, poly, o.Classification,
				nullable(o.DecisionID), o.Synthetic})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_observation"}, []string{"line", "source", "source_id", "agency",
			"kind", "category", "observed_at", "value", "precision", "area_id", "h3", "lon", "lat", "polygon",
			"classification", "decision_id", "synthetic"}, pgx.CopyFromRows(rows)); err != nil {
			return translate(err)
		}
		if err := collectRejects(ctx, tx, query("observation_rejects"), file, &rejects); err != nil {
			return err
		}
		rejects.Fill(&rep)
		if rep.Rejected > 0 {
			return errInvalid
		}
		res, err := tx.Query(ctx, query("observation_write"))
		if err != nil {
			return fmt.Errorf("write: %w", translate(err))
		}
		for res.Next() {
			var inserted bool
			if err := res.Scan(&inserted); err != nil {
				res.Close()
				return translate(err)
			}
			if inserted {
				rep.Inserted++
			} else {
				rep.Updated++
			}
		}
		if err := res.Err(); err != nil {
			return translate(err)
		}
		rep.Unchanged = rep.Read - rep.Inserted - rep.Updated
		if err := bumpVersionIf(ctx, tx, rep.Inserted+rep.Updated > 0, &rep.DataVersion); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO import_log (kind, file, report) VALUES ('observations', $1, $2)`, file, rep)
		return translate(err)
	})
	if errors.Is(err, errInvalid) {
		return rep, fmt.Errorf("postgis: import %s: %d records rejected, nothing stored: %w", file, rep.Rejected, lagesbild.ErrInvalid)
	}
	if err != nil {
		return rep, fmt.Errorf("postgis: import observations %s: %w", file, err)
	}
	return rep, nil
}

// Observations reads, as the caller in ctx, the observations q selects (row-level security
// decides which the caller may see).
func (db *DB) Observations(ctx context.Context, q lagesbild.ObservationQuery) ([]lagesbild.ObservationRow, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10000
	}
	var bbox []float64
	if q.BBox != nil {
		bbox = []float64{q.BBox.MinLon, q.BBox.MinLat, q.BBox.MaxLon, q.BBox.MaxLat}
	}
	var out []lagesbild.ObservationRow
	err := db.scoped(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query("observations"), q.From, q.To, q.Region, q.AreaID, q.Agency, q.Category, q.Kind,
			bbox, q.Geometries, limit)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (lagesbild.ObservationRow, error) {
			var o lagesbild.ObservationRow
			var geom *string
			err := row.Scan(&o.ID, &o.Agency, &o.Kind, &o.Category, &o.CategoryLabel, &o.Sensitive, &o.ObservedAt, &o.Value,
				&o.Precision, &o.AreaID, &o.H3, &o.Classification, &o.DecisionID, &o.RegionCode, &o.KommunCode, &o.LPOCodes,
				&o.AreaIDs, &o.Synthetic, &geom)
			if geom != nil {
				o.Geometry = []byte(*geom)
			}
			return o, err
		})
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: observations: %w", err)
	}
	return out, nil
}

// Categories lists every agency's vocabulary (public reference).
func (db *DB) Categories(ctx context.Context) ([]lagesbild.ObservationCategory, error) {
	var out []lagesbild.ObservationCategory
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT agency, code, label, sensitive FROM observation_category ORDER BY agency, code`)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[lagesbild.ObservationCategory])
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: observation categories: %w", err)
	}
	return out, nil
}

// Disclosures reads, as the caller, the disclosure log (migration 00023's disclosures():
// an agency's own, admins any), at most 10 000 rows.
func (db *DB) Disclosures(ctx context.Context, q lagesbild.DisclosureQuery) ([]lagesbild.Disclosure, error) {
	return db.disclosures(ctx, q, 10000)
}

// AllDisclosures reads the disclosure log as an administrator (the CLI): one agency's or, with an
// empty Owner, every agency's, at most 100 000 rows.
func (db *DB) AllDisclosures(ctx context.Context, q lagesbild.DisclosureQuery) ([]lagesbild.Disclosure, error) {
	admin := auth.Identity{Subject: "cli", Role: auth.RoleAdmin}
	return db.disclosures(auth.WithIdentity(ctx, admin), q, 100000)
}

func (db *DB) disclosures(ctx context.Context, q lagesbild.DisclosureQuery, maxRows int) ([]lagesbild.Disclosure, error) {
	limit := q.Limit
	if limit <= 0 || limit > maxRows {
		limit = 1000
	}
	var out []lagesbild.Disclosure
	err := db.scoped(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT at, subject, reader_agency, role, owner_agency, coalesce(decision_id, ''), records,
			resource, request_id FROM disclosures($1, $2, $3, $4)`, nullable(strings.TrimSpace(q.Owner)), q.Since, q.Until, limit)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[lagesbild.Disclosure])
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: disclosures: %w", err)
	}
	return out, nil
}
