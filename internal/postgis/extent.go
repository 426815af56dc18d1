package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// scopeMarginM grows the areas of a lokalpolisområde scope so the H3 cells touching them (a
// resolution 7 cell is about 2.6 km across) lie inside the extent.
const scopeMarginM = 3000

// ScopeExtent returns the WGS84 box of what the caller of ctx may see (its police regions, or
// its lokalpolisområden's areas with a margin; the country for scope all) and whether any of
// the incidents, offices and operations it may see are synthetic demo data. ErrNotFound when the
// scope holds nothing.
func (db *DB) ScopeExtent(ctx context.Context) (box lagesbild.BBox, synthetic bool, err error) {
	var x0, y0, x1, y1 *float64
	err = db.scoped(ctx, func(tx pgx.Tx) error {
		return translate(tx.QueryRow(ctx, query("export_extent"), scopeMarginM, lagesbild.SourceSyntheticDemo).Scan(&x0, &y0, &x1, &y1, &synthetic))
	})
	if err != nil {
		return box, false, fmt.Errorf("postgis: scope extent: %w", err)
	}
	if x0 == nil || y0 == nil || x1 == nil || y1 == nil {
		return box, false, fmt.Errorf("postgis: scope extent: the scope holds no region or area: %w", lagesbild.ErrNotFound)
	}
	return lagesbild.BBox{MinLon: *x0, MinLat: *y0, MaxLon: *x1, MaxLat: *y1}, synthetic, nil
}
