package summary

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/hexgrid"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// disk returns the res-8 cells within k rings of centre, centre first, ring by ring.
func disk(t *testing.T, centre uint64, k int) []uint64 {
	t.Helper()
	seen := map[uint64]bool{centre: true}
	out, edge := []uint64{centre}, []uint64{centre}
	for range k {
		var next []uint64
		for _, c := range edge {
			ring, err := hexgrid.Ring1(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ring {
				if !seen[r] {
					seen[r] = true
					next = append(next, r)
				}
			}
		}
		out, edge = append(out, next...), next
	}
	return out
}

// hotFake is the fake list with a res-8 grid in kommun 0180: 2025-SO1 is the centre cell and its
// ring, in a kommun of 5 rings (91 cells). misshandel_hot is spread evenly over the kommun;
// narkotika is a planted cluster on the area plus a thin background; overgrepp_rattssak, the
// sensitive group, is piled on the area too. groups limits the groups stored per cell.
func hotFake(t *testing.T, groups ...string) *fakeStore {
	t.Helper()
	centre, err := hexgrid.Cell(58.4100, 15.6200, HotSpotRes)
	if err != nil {
		t.Fatal(err)
	}
	kommun := disk(t, centre, 5)
	f := newFake()
	for _, c := range kommun[:7] {
		f.areaCells = append(f.areaCells, AreaCell{AreaID: "2025-SO1", Cell: c})
	}
	want := map[string]bool{}
	for _, g := range groups {
		want[g] = true
	}
	total := map[uint64]int{}
	add := func(c uint64, g string, n int) {
		if n > 0 && (len(groups) == 0 || want[g]) {
			f.groupCells = append(f.groupCells, GroupCellCount{Cell: c, Group: g, N: n})
			total[c] += n
		}
	}
	for i, c := range kommun {
		add(c, "misshandel_hot", 2+i%2)
		switch {
		case i == 0:
			add(c, "narkotika", 30)
			add(c, "overgrepp_rattssak", 20)
		case i < 7:
			add(c, "narkotika", 12)
			add(c, "overgrepp_rattssak", 5)
		case i%9 == 0:
			add(c, "narkotika", 1)
		}
	}
	for _, c := range kommun {
		if total[c] > 0 {
			f.cells = append(f.cells, CellCount{Kommun: "0180", Cell: c, N: total[c]})
		}
	}
	return f
}

func groupHot(t *testing.T, sm *Summary, g string) GroupHotSpots {
	t.Helper()
	for _, h := range sm.HotSpots.Groups {
		if h.Group == g {
			return h
		}
	}
	t.Fatalf("no hot spots of group %s in %+v", g, sm.HotSpots.Groups)
	return GroupHotSpots{}
}

// TestGroupHotSpots plants a narkotika hot spot on an area: it shows in narkotika's shares, not
// in those of misshandel_hot (spread evenly), the sensitive group has no entry, and the groups
// with too few events are withheld with a reason.
func TestGroupHotSpots(t *testing.T) {
	sm, err := New(hotFake(t), Options{}).Area(context.Background(), "2025-SO1", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.HotSpots.Groups) != len(sm.Groups) {
		t.Errorf("%d groups with hot spots, %d groups", len(sm.HotSpots.Groups), len(sm.Groups))
	}
	for i, h := range sm.HotSpots.Groups {
		if h.Group != sm.Groups[i].Group || h.Label != sm.Groups[i].Label {
			t.Errorf("hot spots %d are of %s, the group row of %s", i, h.Group, sm.Groups[i].Group)
		}
		if h.Group == "overgrepp_rattssak" {
			t.Error("the sensitive group has hot spots of its own")
		}
		for _, ind := range []Indicator{h.Share90, h.Share95, h.Share99} {
			if (ind.Value == nil) != (ind.Suppressed && ind.Reason != "") {
				t.Errorf("%s: %+v is neither a value nor withheld with a reason", h.Group, ind)
			}
		}
	}
	n := groupHot(t, sm, "narkotika")
	if n.Share95.Value == nil || *n.Share95.Value < 0.5 || *n.Share90.Value < *n.Share95.Value || *n.Share95.Value < *n.Share99.Value {
		t.Errorf("narkotika hot spots %+v, want most of the area hot at 95 %% and shares nested", n)
	}
	m := groupHot(t, sm, "misshandel_hot")
	if m.Share90.Value == nil || *m.Share90.Value != 0 {
		t.Errorf("misshandel_hot hot spots %+v, want 0 at 90 %%: it has no cluster", m)
	}
	// The totals include the sensitive group and the cluster: the area is hot.
	if sm.HotSpots.Share95 == nil || *sm.HotSpots.Share95 == 0 {
		t.Errorf("total hot spots %+v, want a share > 0", sm.HotSpots)
	}
	for g, reason := range map[string]string{
		"stold_inbrott": ReasonCountHidden, // hidden by secondary suppression
		"skjutning":     risk.ReasonFewEvents,
	} {
		if h := groupHot(t, sm, g); h.Share95.Value != nil || h.Share95.Reason != reason || h.Share90.Reason != reason {
			t.Errorf("%s hot spots %+v, want withheld: %s", g, h, reason)
		}
	}

	// The lists rank by the total alone and carry no group shares.
	list, err := New(hotFake(t), Options{}).List(context.Background(), 2025, Query{})
	if err != nil || len(list.Rows) != 2 || list.Rows[0].HotSpotShare95 == nil {
		t.Fatalf("list %+v, %v", list, err)
	}
	// Another area of the same list, computed from the same cache entry, gets its own groups and
	// does not change the first one's.
	s := New(hotFake(t), Options{})
	first, _ := s.Area(context.Background(), "2025-SO1", Query{})
	other, err := s.Area(context.Background(), "2025-SO2", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if h := groupHot(t, other, "narkotika"); h.Share95.Reason != ReasonNoCells {
		t.Errorf("an area without cells: %+v", h)
	}
	if h := groupHot(t, first, "narkotika"); h.Share95.Value == nil {
		t.Errorf("the first area's shares changed: %+v", h)
	}
}

// TestGroupHotSpotsSameGrid: a group that is every incident gets exactly the total's shares, so
// the groups are computed on the grid the total is.
func TestGroupHotSpotsSameGrid(t *testing.T) {
	sm, err := New(hotFake(t, "narkotika"), Options{}).Area(context.Background(), "2025-SO1", Query{})
	if err != nil {
		t.Fatal(err)
	}
	n := groupHot(t, sm, "narkotika")
	h := sm.HotSpots
	if n.Share90.Value == nil || h.Share90 == nil || *n.Share90.Value != *h.Share90 || *n.Share95.Value != *h.Share95 || *n.Share99.Value != *h.Share99 {
		t.Errorf("narkotika %+v, total %v %v %v", n, *h.Share90, *h.Share95, *h.Share99)
	}
	if m := groupHot(t, sm, "misshandel_hot"); m.Share95.Reason != ReasonFewKommunEvents && m.Share95.Reason != risk.ReasonFewEvents {
		t.Errorf("misshandel_hot without events: %+v", m)
	}
}

func TestGroupHotSpotReason(t *testing.T) {
	v := func(n float64) Indicator { return Indicator{Value: &n} }
	for _, c := range []struct {
		name      string
		count     Indicator
		kommunN   int
		areaCells int
		want      string
	}{
		{"shown", v(10), 10, 3, ""},
		{"no cells", v(50), 500, 0, ReasonNoCells},
		{"count hidden", withheld(ReasonSmallCount), 500, 3, ReasonCountHidden},
		{"few in the area", v(9), 500, 3, risk.ReasonFewEvents},
		{"none in the area", v(0), 500, 3, risk.ReasonFewEvents},
		{"few in the kommun", v(10), 9, 3, ReasonFewKommunEvents},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := groupHotSpotReason(c.count, c.kommunN, c.areaCells); got != c.want {
				t.Errorf("reason %q, want %q", got, c.want)
			}
		})
	}
}

// TestHotCells: the summary of one area carries its hot cells as H3 polygons, only cells of the
// area, as many as its share at 90 % says, with z, p and level and no counts; a list carries
// none.
func TestHotCells(t *testing.T) {
	f := hotFake(t)
	sm, err := New(f, Options{}).Area(context.Background(), "2025-SO1", Query{})
	if err != nil {
		t.Fatal(err)
	}
	fc := sm.HotSpots.Cells
	if fc == nil || sm.HotSpots.Share90 == nil {
		t.Fatalf("hot spots %+v, want cells", sm.HotSpots)
	}
	area := map[string]bool{}
	for _, c := range f.areaCells {
		area[fmt.Sprintf("%x", c.Cell)] = true
	}
	if want := int(math.Round(*sm.HotSpots.Share90 * float64(len(f.areaCells)))); len(fc.Features) != want || want == 0 {
		t.Errorf("%d hot cells, the share at 90 %% says %d", len(fc.Features), want)
	}
	n95 := 0
	for _, ft := range fc.Features {
		h, _ := ft.Properties["h3"].(string)
		if !area[h] {
			t.Errorf("hot cell %s is not a cell of the area", h)
		}
		if _, ok := ft.Geometry.(orb.Polygon); !ok {
			t.Errorf("cell %s: geometry %T, want a polygon", h, ft.Geometry)
		}
		level, _ := ft.Properties["level"].(int)
		z, _ := ft.Properties["z"].(float64)
		if (level != 90 && level != 95 && level != 99) || z <= 0 {
			t.Errorf("cell %s: properties %v", h, ft.Properties)
		}
		if level >= 95 {
			n95++
		}
		if len(ft.Properties) != 4 {
			t.Errorf("cell %s: properties %v, want h3, z, p and level only", h, ft.Properties)
		}
	}
	if want := int(math.Round(*sm.HotSpots.Share95 * float64(len(f.areaCells)))); n95 != want {
		t.Errorf("%d cells at 95 %%, the share says %d", n95, want)
	}
	if _, err := json.Marshal(sm); err != nil {
		t.Fatal(err)
	}
	other, err := New(f, Options{}).Area(context.Background(), "2025-SO2", Query{})
	if err != nil || other.HotSpots.Cells != nil {
		t.Errorf("an area without cells: %+v, %v", other.HotSpots, err)
	}
}
