package demo

import (
	"math"

	"github.com/paulmach/orb/planar"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Area population estimate. The real figure would come from SCB's DeSO polygons, which the
// bundle does not hold (it has DeSO populations but no DeSO shapes), so an area's residents are
// estimated from its polygon area and the density of its kommun, raised by an urban factor
// because utsatta områden are dense multi-family housing, and bounded to the densities such
// neighbourhoods have.
const (
	urbanFactor        = 3.0
	minAreaDensity     = 4000.0  // residents per km²
	maxAreaDensity     = 12000.0 // residents per km²
	maxAreaShareKommun = 0.6     // all areas of a kommun together hold at most this share
)

// PopulationMethod describes the estimate, as stored with each AreaPopulation.
const PopulationMethod = "estimate: polygon area × clamp(3 × kommun density, 4000, 12000) residents/km², " +
	"all areas of a kommun at most 60 % of its population, rounded to 10; no DeSO polygons bundled"

// AreaPopulation estimates the residents of each area of the input (see PopulationMethod and
// docs/demo-data.md), in the order of in.Areas, marked Estimated with the method. The demo uses
// the same figures for its rates, so rates per resident computed from them come out as modelled.
func AreaPopulation(in Input) []lagesbild.AreaPopulation {
	return areaPopulations(in)
}

func areaPopulations(in Input) []lagesbild.AreaPopulation {
	type kommun struct{ pop, density float64 }
	kommuner := map[string]kommun{}
	for _, k := range in.Kommuner {
		km2 := math.Abs(planar.Area(k.Geom)) / 1e6
		d := 0.0
		if km2 > 0 {
			d = float64(k.Population) / km2
		}
		kommuner[k.Code] = kommun{float64(k.Population), d}
	}
	raw := make([]float64, len(in.Areas))
	perKommun := map[string]float64{}
	for i, a := range in.Areas {
		k := kommuner[a.KommunCode]
		density := min(max(urbanFactor*k.density, minAreaDensity), maxAreaDensity)
		raw[i] = density * math.Abs(planar.Area(a.Geom)) / 1e6
		perKommun[a.KommunCode] += raw[i]
	}
	out := make([]lagesbild.AreaPopulation, len(in.Areas))
	for i, a := range in.Areas {
		p := raw[i]
		if limit := maxAreaShareKommun * kommuner[a.KommunCode].pop; perKommun[a.KommunCode] > limit {
			p *= limit / perKommun[a.KommunCode]
		}
		out[i] = lagesbild.AreaPopulation{AreaID: a.ID, Population: round10(p), Estimated: true,
			Method: PopulationMethod, Source: lagesbild.SourceSyntheticDemo}
	}
	return out
}

// round10 rounds to the nearest ten: an estimate should not look like a count.
func round10(x float64) int {
	return int(math.Floor(x/10+0.5)) * 10
}
