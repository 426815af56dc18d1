package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

const decisionColumns = `id, name, purpose, legal_basis, agencies, regions, lpos, area_ids, valid_from, valid_until,
	decided_by, decided_at, revoked_at, coalesce(revoked_by, ''), demo, revision, changed_by, changed_at`

func scanDecision(row pgx.CollectableRow) (lagesbild.Decision, error) {
	var d lagesbild.Decision
	err := row.Scan(&d.ID, &d.Name, &d.Purpose, &d.LegalBasis, &d.Agencies, &d.Regions, &d.LPOs, &d.AreaIDs,
		&d.ValidFrom, &d.ValidUntil, &d.DecidedBy, &d.DecidedAt, &d.RevokedAt, &d.RevokedBy, &d.Demo, &d.Revision,
		&d.ChangedBy, &d.ChangedAt)
	return d, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CreateDecision stores a new decision (the trigger of migration 00023 records its history).
func (db *DB) CreateDecision(ctx context.Context, d lagesbild.Decision) (lagesbild.Decision, error) {
	rows, err := db.pool.Query(ctx, `INSERT INTO samverkansbeslut (id, name, purpose, legal_basis, agencies, regions, lpos,
		area_ids, valid_from, valid_until, decided_by, decided_at, demo, changed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+decisionColumns,
		d.ID, d.Name, d.Purpose, d.LegalBasis, nonNil(d.Agencies), nonNil(d.Regions), nonNil(d.LPOs), nonNil(d.AreaIDs),
		d.ValidFrom, d.ValidUntil, d.DecidedBy, d.DecidedAt, d.Demo, d.ChangedBy)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: decision %q: %w", d.ID, translate(err))
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanDecision)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: decision %q: %w", d.ID, translate(err))
	}
	db.bumpVisibility(ctx)
	return out, nil
}

// UpdateDecision replaces the editable fields of an unrevoked decision.
func (db *DB) UpdateDecision(ctx context.Context, d lagesbild.Decision) (lagesbild.Decision, error) {
	rows, err := db.pool.Query(ctx, `UPDATE samverkansbeslut SET name = $2, purpose = $3, legal_basis = $4, agencies = $5,
		regions = $6, lpos = $7, area_ids = $8, valid_from = $9, valid_until = $10, decided_by = $11, decided_at = $12,
		changed_by = $13
		WHERE id = $1 AND revoked_at IS NULL RETURNING `+decisionColumns,
		d.ID, d.Name, d.Purpose, d.LegalBasis, nonNil(d.Agencies), nonNil(d.Regions), nonNil(d.LPOs), nonNil(d.AreaIDs),
		d.ValidFrom, d.ValidUntil, d.DecidedBy, d.DecidedAt, d.ChangedBy)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: decision %q: %w", d.ID, translate(err))
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanDecision)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: decision %q (unknown or revoked): %w", d.ID, translate(err))
	}
	db.bumpVisibility(ctx)
	return out, nil
}

// RevokeDecision ends a decision at once: the next read of any caller no longer sees what was
// shared under it (row-level security checks revoked_at on every read).
func (db *DB) RevokeDecision(ctx context.Context, id, by string) (lagesbild.Decision, error) {
	rows, err := db.pool.Query(ctx, `UPDATE samverkansbeslut SET revoked_at = coalesce(revoked_at, clock_timestamp()),
		revoked_by = coalesce(revoked_by, $2), changed_by = $2 WHERE id = $1 RETURNING `+decisionColumns, id, by)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: revoke decision %q: %w", id, translate(err))
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanDecision)
	if err != nil {
		return lagesbild.Decision{}, fmt.Errorf("postgis: revoke decision %q: %w", id, translate(err))
	}
	db.bumpVisibility(ctx)
	return out, nil
}

// bumpVisibility moves the data version on after a change of a decision, so every cache keyed
// by it (tiles, summary lists) is dropped; the reads of observations are not cached at all.
func (db *DB) bumpVisibility(ctx context.Context) {
	if _, err := db.pool.Exec(ctx, `UPDATE data_version SET version = version + 1, changed_at = now()`); err != nil {
		db.logger.Warn("data version not bumped after a decision change", "err", err)
	}
}

// Decision returns one decision (as the owner: administration).
func (db *DB) Decision(ctx context.Context, id string) (lagesbild.Decision, error) {
	var d lagesbild.Decision
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT `+decisionColumns+` FROM samverkansbeslut WHERE id = $1`, id)
		if err != nil {
			return translate(err)
		}
		d, err = pgx.CollectExactlyOneRow(rows, scanDecision)
		return translate(err)
	})
	if err != nil {
		return d, fmt.Errorf("postgis: decision %q: %w", id, err)
	}
	return d, nil
}

// Decisions lists every decision (as the owner: administration), by id.
func (db *DB) Decisions(ctx context.Context) ([]lagesbild.Decision, error) {
	var out []lagesbild.Decision
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT `+decisionColumns+` FROM samverkansbeslut ORDER BY id`)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, scanDecision)
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: decisions: %w", err)
	}
	return out, nil
}

// DecisionHistory lists every stored version of a decision, oldest first.
func (db *DB) DecisionHistory(ctx context.Context, id string) ([]lagesbild.DecisionChange, error) {
	var out []lagesbild.DecisionChange
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT revision, at, operation, changed_by, version FROM samverkansbeslut_history
			WHERE decision_id = $1 ORDER BY id`, id)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (lagesbild.DecisionChange, error) {
			var c lagesbild.DecisionChange
			var v []byte
			if err := row.Scan(&c.Revision, &c.At, &c.Operation, &c.ChangedBy, &v); err != nil {
				return c, err
			}
			var raw struct {
				lagesbild.Decision
				DecidedAt string `json:"decided_at"`
			}
			if err := json.Unmarshal(v, &raw); err != nil {
				return c, err
			}
			c.Version = raw.Decision
			c.Version.DecidedAt, _ = time.Parse(time.DateOnly, raw.DecidedAt)
			return c, nil
		})
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: decision history %q: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("postgis: decision history %q: %w", id, lagesbild.ErrNotFound)
	}
	return out, nil
}

// VisibleDecisions reads, as the caller, the decisions its agency takes part in.
func (db *DB) VisibleDecisions(ctx context.Context) ([]lagesbild.Decision, error) {
	var out []lagesbild.Decision
	err := db.scoped(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+decisionColumns+` FROM samverkansbeslut ORDER BY id`)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, scanDecision)
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: visible decisions: %w", err)
	}
	return out, nil
}
