package demo

import (
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// PatternKind is how a planted pattern shows in the data.
type PatternKind string

// The kinds of planted pattern.
const (
	PatternRising  PatternKind = "rising"  // a rate that grows linearly over the period
	PatternFalling PatternKind = "falling" // a rate that shrinks linearly over the period
	PatternHotSpot PatternKind = "hotspot" // a tight cluster around one place
	PatternSeries  PatternKind = "series"  // a burst at a few sites in a short window
	PatternStep    PatternKind = "step"    // an extra level that ends when an operation starts
	PatternSpike   PatternKind = "spike"   // a burst spread over one area in the last days
)

// NavestadSpikeStart is the first day of the planted spike of car fires and vandalism in
// Navestad: the last week of the default period.
var NavestadSpikeStart = DefaultEnd.AddDate(0, 0, -7)

// PlantedOwnStreamFrom is the index in Planted from which patterns draw their incidents from a
// random stream of their own: the three patterns of the analyst's tools were added after the
// first four, and the model's incidents and those four are unchanged by them.
const PlantedOwnStreamFrom = 4

// PlantedEachOwnStreamFrom is the index in Planted from which every pattern draws from a
// stream of its own (streamPlantedEach plus its index), so that adding one changes no incident
// of any other pattern; the three analyst patterns before it keep their shared stream.
const PlantedEachOwnStreamFrom = 7

// VivallaOperationStart is the first day of the planted operation in Vivalla (see Operations):
// the extra level of the pattern "vivalla-insats-minskning" ends on it.
var VivallaOperationStart = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

// VivallaOperationDays is the length of the planted operation in Vivalla.
const VivallaOperationDays = 120

// PlantedPattern is a known signal added on top of the background model, so that analysts and
// tests can check that trends and hot spots are found where they were put. The incidents of a
// pattern are ordinary synthetic incidents; nothing in the output marks them.
type PlantedPattern struct {
	ID                     string
	Kind                   PatternKind
	AreaID, AreaName       string // the 2025 area, empty for a kommun-wide pattern
	KommunCode, KommunName string
	Group                  lagesbild.CategoryGroup
	Start, End             time.Time // [Start, End), clipped to the generated period
	// FromPer30Days and ToPer30Days are the pattern's own incidents per 30 days at Start and at
	// End, at Scale 1 (scaled by max(Scale, MinPlantedScale)); the rate is linear in between.
	FromPer30Days, ToPer30Days float64
	// RadiusM is the standard deviation of the cluster around the hot spot or each series site.
	RadiusM float64
	// Sites is the number of places a series hits.
	Sites       int
	Description string
}

// Planted lists the planted patterns; docs/demo-data.md describes the same eight. A pattern
// whose area or kommun is missing from the input is left out.
var Planted = []PlantedPattern{
	{
		ID: "rinkeby-skjutning-okar", Kind: PatternRising,
		AreaID: "2025-SO74", AreaName: "Rinkeby", KommunCode: "0180", KommunName: "Stockholm",
		Group: lagesbild.GroupSkjutning, Start: DefaultEnd.AddDate(-2, 0, 0), End: DefaultEnd,
		FromPer30Days: 0.5, ToPer30Days: 8,
		Description: "Shootings in Rinkeby (särskilt utsatt) rise linearly from 0.5 to 8 per 30 days over the two years.",
	},
	{
		ID: "rosengard-skjutning-minskar", Kind: PatternFalling,
		AreaID: "2025-SO2", AreaName: "Rosengård", KommunCode: "1280", KommunName: "Malmö",
		Group: lagesbild.GroupSkjutning, Start: DefaultEnd.AddDate(-2, 0, 0), End: DefaultEnd,
		FromPer30Days: 8, ToPer30Days: 0.5,
		Description: "Shootings in Rosengård (särskilt utsatt) fall linearly from 8 to 0.5 per 30 days over the two years, " +
			"while a long joint operation runs there in the first year (see the operations).",
	},
	{
		ID: "skaggetorp-narkotika-hotspot", Kind: PatternHotSpot,
		AreaID: "2025-SO5", AreaName: "Skäggetorp", KommunCode: "0580", KommunName: "Linköping",
		Group: lagesbild.GroupNarkotika, Start: DefaultEnd.AddDate(-2, 0, 0), End: DefaultEnd,
		FromPer30Days: 25, ToPer30Days: 25, RadiusM: 120,
		Description: "An open drug market: 25 extra drug offences per 30 days within a few hundred metres " +
			"(Gaussian, sigma 120 m) of the interior point of Skäggetorp's polygon.",
	},
	{
		ID: "uppsala-sprangning-serie", Kind: PatternSeries,
		KommunCode: "0380", KommunName: "Uppsala",
		Group: lagesbild.GroupSprangning,
		Start: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		FromPer30Days: 15, ToPer30Days: 15, RadiusM: 40, Sites: 9,
		Description: "A series of blasts in Uppsala kommun from September to November 2025: 15 per 30 days at " +
			"9 sites (sigma 40 m) within a few km of the kommun's main centre, at night.",
	},
	{
		ID: "biskopsgarden-ran-framvaxande", Kind: PatternHotSpot,
		AreaID: "2025-SO6", AreaName: "Biskopsgården", KommunCode: "1480", KommunName: "Göteborg",
		Group: lagesbild.GroupRan, Start: DefaultEnd.AddDate(0, -4, 0), End: DefaultEnd,
		FromPer30Days: 40, ToPer30Days: 40, RadiusM: 150,
		Description: "An emerging hot spot: from July 2026, 40 extra robberies per 30 days within a few hundred metres " +
			"(sigma 150 m) of Biskopsgården's interior point, nothing extra before; emerging hot spots on rån in Göteborg " +
			"call its cells a consecutive (or new) hot spot.",
	},
	{
		ID: "orebro-inbrott-narupprepning", Kind: PatternSeries,
		KommunCode: "1880", KommunName: "Örebro",
		Group: lagesbild.GroupStoldInbrott,
		Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC),
		FromPer30Days: 60, ToPer30Days: 60, RadiusM: 30, Sites: 3,
		Description: "A near-repeat burglary series in Örebro kommun in March 2026: 60 per 30 days for four weeks at " +
			"3 sites (sigma 30 m); the Knox test on stöld/inbrott finds more pairs within 100 m and 7 days than chance.",
	},
	{
		ID: "vivalla-insats-minskning", Kind: PatternStep,
		AreaID: "2025-SO16", AreaName: "Vivalla", KommunCode: "1880", KommunName: "Örebro",
		Group: lagesbild.GroupMisshandelHot, Start: DefaultEnd.AddDate(-2, 0, 0), End: VivallaOperationStart,
		FromPer30Days: 30, ToPer30Days: 30,
		Description: "An operation with a real effect: 30 extra assaults and threats per 30 days in Vivalla (särskilt " +
			"utsatt) until the planted joint operation starts on 1 February 2026, none after; the effect follow-up of that " +
			"operation shows a drop against comparable areas.",
	},
	{
		ID: "navestad-brand-avvikelse", Kind: PatternSpike,
		AreaID: "2025-SO33", AreaName: "Navestad", KommunCode: "0581", KommunName: "Norrköping",
		Group: lagesbild.GroupBrandSkadegorelse, Start: NavestadSpikeStart, End: DefaultEnd,
		FromPer30Days: 120, ToPer30Days: 120,
		Description: "A deviation: in the last week of the period (25–31 October 2026) 120 extra fires and acts of vandalism " +
			"per 30 days spread over Navestad (utsatt), about 28 at scale 1, on top of a baseline of a few a month; the " +
			"deviations (avvikelser) of the latest week list the area's brand/skadegörelse far above its 99 % limit.",
	},
}

// Expected returns the number of incidents the pattern adds over its whole period at scale.
func (p PlantedPattern) Expected(scale float64) float64 {
	days := p.End.Sub(p.Start).Hours() / 24
	return (p.FromPer30Days + p.ToPer30Days) / 2 * days / 30 * plantedScale(scale)
}

func plantedScale(scale float64) float64 {
	if scale == 0 {
		scale = 1
	}
	return max(scale, MinPlantedScale)
}

// ratePer30Days is the pattern's rate at t, at Scale 1.
func (p PlantedPattern) ratePer30Days(t time.Time) float64 {
	f := float64(t.Sub(p.Start)) / float64(p.End.Sub(p.Start))
	return p.FromPer30Days + (p.ToPer30Days-p.FromPer30Days)*min(max(f, 0), 1)
}

// planted is a pattern resolved against the world.
type planted struct {
	PlantedPattern
	index  int
	group  int // index into groups
	kommun int
	area   int // -1 for a kommun-wide pattern
	sites  []orb.Point
}

// seriesSpreadM is how far from the main centre the sites of a series lie.
const seriesSpreadM = 2500

func (w *world) resolvePlanted() []planted {
	r := newRand(w.seed, streamPlanted)
	var out []planted
	for i, p := range Planted {
		k, ok := w.byCode[p.KommunCode]
		if !ok {
			continue
		}
		a := -1
		if p.AreaID != "" {
			if a = w.areaByID(p.AreaID); a < 0 {
				continue
			}
		}
		pl := planted{PlantedPattern: p, index: i, group: groupIndex(p.Group), kommun: k, area: a}
		for range p.Sites {
			pl.sites = append(pl.sites, w.blobPoint(r, w.kommuner[k].main, seriesSpreadM, k, -1))
		}
		out = append(out, pl)
	}
	return out
}

func groupIndex(g lagesbild.CategoryGroup) int {
	for i := range groups {
		if groups[i].group == g {
			return i
		}
	}
	return len(groups) - 1
}
