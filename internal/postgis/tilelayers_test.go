package postgis

import (
	"slices"
	"testing"

	"github.com/lagesbild/lagesbild/internal/tiles"
)

// TestTileLayersMatchRegistry checks that every layer of tiles.Layers has a renderer and that
// its SQL properties are the fields the registry (TileJSON, the fields parameter) names.
func TestTileLayersMatchRegistry(t *testing.T) {
	if len(tileLayers) != len(tiles.Layers) {
		t.Errorf("%d renderers for %d layers", len(tileLayers), len(tiles.Layers))
	}
	for _, meta := range tiles.Layers {
		l, ok := tileLayers[meta.Name]
		if !ok {
			t.Errorf("layer %s has no renderer", meta.Name)
			continue
		}
		var fields, props []string
		for _, f := range meta.Fields {
			fields = append(fields, f.Name)
		}
		for _, p := range l.props {
			props = append(props, p[0])
		}
		slices.Sort(fields)
		slices.Sort(props)
		if !slices.Equal(fields, props) {
			t.Errorf("layer %s: SQL properties %v, registry fields %v", meta.Name, props, fields)
		}
	}
	if got := groupColumns("%s", ","); got != "skjutning,sprangning,grovt_vald,misshandel_hot,ran,narkotika,overgrepp_rattssak,brand_skadegorelse,stold_inbrott,bedrageri_valfard,ovrigt" {
		t.Errorf("group columns %s", got)
	}
}
