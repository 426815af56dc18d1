package ingest

import (
	"strings"
	"testing"
)

func TestReadDesoBoundaries(t *testing.T) {
	sq := `{"type":"Polygon","coordinates":[[[17.90,59.39],[17.91,59.39],[17.91,59.40],[17.90,59.40],[17.90,59.39]]]}`
	feat := func(props, geom string) string {
		return `{"type":"Feature","properties":` + props + `,"geometry":` + geom + `}`
	}
	file := func(feats ...string) string {
		return "{\"type\":\"FeatureCollection\",\"features\":[\n" + strings.Join(feats, ",\n") + "\n]}"
	}
	good, errs, err := ReadDesoBoundaries(strings.NewReader(file(feat(`{"DESO":"0180C1090"}`, sq), feat(`{"desokod":"0180C1100"}`, sq))), "d.geojson")
	if err != nil || len(errs) != 0 || len(good) != 2 || good[0].Code != "0180C1090" || good[1].Line != 3 || len(good[0].Polygon) != 1 {
		t.Fatalf("good file: %+v %+v %v", good, errs, err)
	}
	for _, c := range []struct {
		name, feature, field, reason string
	}{
		{"no code", feat(`{"namn":"x"}`, sq), "deso", "missing"},
		{"bad code", feat(`{"deso":"0180X1090"}`, sq), "deso", "not a DeSO code"},
		{"duplicate", feat(`{"deso":"0180C1090"}`, sq), "deso", "given twice (also at line 2)"},
		{"point", feat(`{"deso":"0180C1100"}`, `{"type":"Point","coordinates":[17.9,59.39]}`), "geometry", "not a Polygon"},
		{"no geometry", feat(`{"deso":"0180C1100"}`, `null`), "geometry", "missing"},
		{"outside Sweden", feat(`{"deso":"0180C1100"}`, strings.ReplaceAll(sq, "17.9", "1.9")), "geometry", "outside Sweden"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errs, err := ReadDesoBoundaries(strings.NewReader(file(feat(`{"deso":"0180C1090"}`, sq), c.feature)), "d.geojson")
			if err != nil || len(errs) != 1 || errs[0].Line != 3 || errs[0].Field != c.field || !strings.Contains(errs[0].Reason, c.reason) {
				t.Errorf("errs %+v, err %v; want line 3 %s: …%s…", errs, err, c.field, c.reason)
			}
		})
	}
	if _, _, err := ReadDesoBoundaries(strings.NewReader(`{"type":"FeatureCollection","features":[]}`), "e.geojson"); err == nil {
		t.Error("an empty collection is accepted")
	}
}
