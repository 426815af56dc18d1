package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Weight profiles are kept by the owner role; the application decides who may read or change
// which (a profile belongs to a region or to the national level).

// WeightProfiles lists every saved weighting by name.
func (db *DB) WeightProfiles(ctx context.Context) ([]lagesbild.WeightProfile, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, coalesce(region_code, ''), description, weights, updated_by, updated_at
		FROM weight_profile ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgis: weight profiles: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lagesbild.WeightProfile, error) {
		var p lagesbild.WeightProfile
		var w []byte
		err := r.Scan(&p.Name, &p.RegionCode, &p.Description, &w, &p.UpdatedBy, &p.UpdatedAt)
		if err == nil {
			err = json.Unmarshal(w, &p.Weights)
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: weight profiles: %w", translate(err))
	}
	return out, nil
}

// SaveWeightProfile creates or replaces a profile. A profile keeps its region: replacing one
// with another region is a conflict.
func (db *DB) SaveWeightProfile(ctx context.Context, p lagesbild.WeightProfile) error {
	w, err := json.Marshal(p.Weights)
	if err != nil {
		return fmt.Errorf("postgis: weight profile %q: %w", p.Name, err)
	}
	var region *string
	if p.RegionCode != "" {
		region = &p.RegionCode
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO weight_profile (name, region_code, description, weights, updated_by)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, weights = EXCLUDED.weights,
		    updated_by = EXCLUDED.updated_by, updated_at = now()
		WHERE weight_profile.region_code IS NOT DISTINCT FROM EXCLUDED.region_code`,
		p.Name, region, p.Description, w, p.UpdatedBy)
	if err != nil {
		return fmt.Errorf("postgis: weight profile %q: %w", p.Name, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: weight profile %q belongs to another region: %w", p.Name, lagesbild.ErrConflict)
	}
	return nil
}

// DeleteWeightProfile removes a profile; ErrNotFound when there is none.
func (db *DB) DeleteWeightProfile(ctx context.Context, name string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM weight_profile WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("postgis: weight profile %q: %w", name, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: weight profile %q: %w", name, lagesbild.ErrNotFound)
	}
	return nil
}
