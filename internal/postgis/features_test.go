package postgis_test

import (
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/postgis"
)

// TestFeatureSQLEveryCRS adapts every feature query to every offered output CRS and to a bbox in
// EPSG:3006: each query must hold its bbox and geometry expressions in the one form featureSQL
// replaces, or a CRS would silently not apply to it.
func TestFeatureSQLEveryCRS(t *testing.T) {
	for _, name := range []string{"features_areas", "features_kommuner", "features_lan", "features_polisregioner",
		"features_offices", "features_operations", "features_h3"} {
		for _, crs := range []lagesbild.CRS{{}, {SRID: 4326, NorthFirst: true}, {SRID: 3006, NorthFirst: true}, {SRID: 3857}} {
			sql, err := postgis.FeatureSQL(name, lagesbild.FeatureQuery{CRS: crs, BBox: &lagesbild.BBox{}, BBoxSRID: 3006})
			if err != nil {
				t.Fatalf("%s, EPSG:%d: %v", name, crs.SRID, err)
			}
			if strings.Contains(sql, "ST_MakeEnvelope($1, $2, $3, $4, 4326)") || !strings.Contains(sql, ", 0)") {
				t.Errorf("%s, EPSG:%d: not adapted:\n%s", name, crs.SRID, sql)
			}
		}
	}
	if _, err := postgis.FeatureSQL("features_kommuner", lagesbild.FeatureQuery{CRS: lagesbild.CRS{SRID: 3021}}); err == nil {
		t.Error("an unknown CRS was accepted")
	}
}
