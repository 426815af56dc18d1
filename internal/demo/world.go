package demo

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// world is the geography prepared for sampling: kommuner with their synthetic settlement
// centres, areas with their estimated populations. It is built deterministically from the input
// and the seed.
type world struct {
	kommuner []kommunModel // by code
	areas    []areaModel   // by id
	byCode   map[string]int
	lan      map[string]Lan
	seed     int64
}

type kommunModel struct {
	Kommun
	shape shape
	// bgPop is the population outside the kommun's utsatta områden (estimated).
	bgPop float64
	// variation multiplies the kommun's rates: places differ more than their size explains.
	variation float64
	// main is the main settlement centre; centres are the blobs incidents are drawn around.
	main    orb.Point
	centres []centre
	pick    alias
	areas   []int // indexes into world.areas
}

// centre is a Gaussian blob of incidents around a settlement. sigmaM 0 marks the rural
// component: a point anywhere in the kommun.
type centre struct {
	p      orb.Point
	sigmaM float64
}

type areaModel struct {
	Area
	shape     shape
	kommun    int
	pop       float64
	variation float64
	// overlap is false for an area wholly outside its kommun's polygon (see nearestInside).
	overlap bool
}

// Settlement model. There is no settlement dataset in the bundle, so the centres are synthetic:
// a main centre holding most of the people, a few smaller ones, blobs around the utsatta
// områden (which are real urban neighbourhoods) and a thin rural scatter.
const (
	ruralShare      = 0.06 // share of a kommun's background incidents anywhere in the kommun
	areaBlobFactor  = 1.5  // people living around an area, as a multiple of the area's own
	areaBlobSigmaM  = 1200
	densityPerKm2   = 3000 // assumed urban density that turns a centre's population into a radius
	minSigmaM       = 250
	maxSigmaM       = 7000
	coreShare       = 0.35 // share of a blob's points drawn from its dense core (sigma/3)
	kommunVariation = 0.25 // lognormal sigma of the kommun rate factor
	areaVariation   = 0.3  // lognormal sigma of the area rate factor
)

// sigmaFor turns a centre's population into a blob radius: the radius of a disc of that many
// people at an urban density, halved because a Gaussian's 2σ disc holds most of its points.
func sigmaFor(pop float64) float64 {
	return min(max(500*math.Sqrt(pop/densityPerKm2), minSigmaM), maxSigmaM)
}

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

func buildWorld(input Input, seed int64) (*world, error) {
	if err := checkInput(input); err != nil {
		return nil, err
	}
	in := sortedInput(input)
	r := newRand(seed, streamWorld)
	w := &world{byCode: map[string]int{}, lan: map[string]Lan{}, seed: seed}
	for _, l := range in.Lan {
		w.lan[l.Code] = l
	}
	for i, k := range in.Kommuner {
		w.byCode[k.Code] = i
		w.kommuner = append(w.kommuner, kommunModel{Kommun: k, shape: newShape(k.Geom)})
	}
	pops := areaPopulations(in)
	for i, a := range in.Areas {
		k := w.byCode[a.KommunCode]
		am := areaModel{Area: a, shape: newShape(a.Geom), kommun: k, pop: float64(pops[i].Population),
			variation: math.Exp(r.NormFloat64() * areaVariation)}
		// An area polygon can poke out of the generalised kommun boundary; keep its interior
		// point inside both, so the sampler's fallback is valid, or, for an area wholly outside,
		// on the kommun's nearest land.
		am.overlap = w.kommuner[k].shape.contains(am.shape.interior)
		for i := 0; i < 400 && !am.overlap; i++ {
			if p := am.shape.uniform(r); w.kommuner[k].shape.contains(p) {
				am.shape.interior, am.overlap = p, true
			}
		}
		if !am.overlap {
			am.shape.interior, _ = w.kommuner[k].shape.nearestInside(am.shape.interior)
		}
		w.areas = append(w.areas, am)
		w.kommuner[k].areas = append(w.kommuner[k].areas, i)
	}
	for i := range w.kommuner {
		w.settle(&w.kommuner[i], r)
	}
	return w, nil
}

// settle places a kommun's settlement centres.
func (w *world) settle(km *kommunModel, r *rand.Rand) {
	areaPop := 0.0
	for _, ai := range km.areas {
		areaPop += w.areas[ai].pop
	}
	km.bgPop = max(float64(km.Population)-areaPop, 0.1*float64(km.Population))
	km.variation = math.Exp(r.NormFloat64() * kommunVariation)

	// The main centre: for kommuner with utsatta områden the population-weighted middle of
	// those areas (they lie in the main town), otherwise the interior point of the kommun.
	km.main = km.shape.interior
	if len(km.areas) > 0 {
		var sx, sy, sw float64
		for _, ai := range km.areas {
			a := &w.areas[ai]
			sx += a.shape.interior[0] * a.pop
			sy += a.shape.interior[1] * a.pop
			sw += a.pop
		}
		// The middle of Stockholm's areas lies in the water between the two parts of the
		// generalised kommun polygon: take the nearest land, which is the city centre.
		if p, ok := km.shape.nearestInside(orb.Point{sx / sw, sy / sw}); sw > 0 && ok {
			km.main = p
		} else {
			km.main = w.areas[km.areas[0]].shape.interior
		}
	}

	// Up to 16 000 residents one extra centre; every doubling adds one, at most six.
	extra := min(max(int(math.Log2(km.bgPop/4000)), 1), 6)
	mainShare := 0.55 + 0.2*r.Float64()
	weights := []float64{mainShare}
	rest := make([]float64, extra)
	sum := 0.0
	for i := range rest {
		rest[i] = 0.3 + r.Float64()
		sum += rest[i]
	}
	km.centres = []centre{{km.main, sigmaFor(mainShare * km.bgPop)}}
	for _, x := range rest {
		share := (1 - mainShare) * x / sum
		km.centres = append(km.centres, centre{km.shape.uniform(r), sigmaFor(share * km.bgPop)})
		weights = append(weights, share)
	}
	for i := range weights {
		weights[i] *= 1 - ruralShare
	}
	for _, ai := range km.areas {
		a := &w.areas[ai]
		km.centres = append(km.centres, centre{a.shape.interior, areaBlobSigmaM})
		weights = append(weights, areaBlobFactor*a.pop/max(km.bgPop, 1))
	}
	km.centres = append(km.centres, centre{})
	weights = append(weights, ruralShare)
	km.pick = newAlias(weights)
}

// kommunPoint draws a background incident position in kommun k (EPSG:3006). Points outside the
// kommun polygon are drawn again, at most 30 times; then the main centre is used.
func (w *world) kommunPoint(r *rand.Rand, k int) orb.Point {
	km := &w.kommuner[k]
	for range 30 {
		c := km.centres[km.pick.draw(r)]
		if c.sigmaM == 0 {
			return km.shape.uniform(r)
		}
		s := c.sigmaM
		if r.Float64() < coreShare {
			s /= 3
		}
		p := orb.Point{c.p[0] + r.NormFloat64()*s, c.p[1] + r.NormFloat64()*s}
		if km.shape.contains(p) {
			return p
		}
	}
	return km.main
}

// areaPoint draws a position inside area a and its kommun: mostly around the area's middle
// (centres of utsatta områden — squares, stations — draw more), the rest anywhere in it.
func (w *world) areaPoint(r *rand.Rand, a int) orb.Point {
	am := &w.areas[a]
	km := &w.kommuner[am.kommun]
	sigma := 0.35 * math.Sqrt(am.shape.areaM2)
	if !am.overlap {
		return w.blobPoint(r, am.shape.interior, sigma, am.kommun, -1)
	}
	for range 30 {
		var p orb.Point
		if r.Float64() < 0.6 {
			p = orb.Point{am.shape.interior[0] + r.NormFloat64()*sigma, am.shape.interior[1] + r.NormFloat64()*sigma}
		} else {
			b := am.shape.bound
			p = orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		}
		if am.shape.contains(p) && km.shape.contains(p) {
			return p
		}
	}
	return am.shape.interior
}

// blobPoint draws around c with sigma, kept inside kommun k (and area a when a ≥ 0).
func (w *world) blobPoint(r *rand.Rand, c orb.Point, sigmaM float64, k, a int) orb.Point {
	km := &w.kommuner[k]
	for range 30 {
		p := orb.Point{c[0] + r.NormFloat64()*sigmaM, c[1] + r.NormFloat64()*sigmaM}
		if km.shape.contains(p) && (a < 0 || w.areas[a].shape.contains(p)) {
			return p
		}
	}
	return c
}

func (w *world) areaByID(id string) int {
	for i := range w.areas {
		if w.areas[i].ID == id {
			return i
		}
	}
	return -1
}

// region returns the police region code of a kommun, or its län code when the län is unknown.
func (w *world) region(k int) string {
	km := &w.kommuner[k]
	if l, ok := w.lan[km.LanCode]; ok && l.RegionCode != "" {
		return l.RegionCode
	}
	return km.LanCode
}

// classWeight is how much more attention (offices, operations) an area of class c draws.
func classWeight(c lagesbild.AreaClass) float64 {
	switch c {
	case lagesbild.ClassSarskiltUtsatt:
		return 3
	case lagesbild.ClassRisk:
		return 2
	}
	return 1
}

// alias is Vose's alias table: a draw from a discrete distribution in constant time, which
// matters when every one of 400 000 incidents picks one of ~350 sources.
type alias struct {
	prob  []float64
	alias []int32
}

func newAlias(weights []float64) alias {
	n := len(weights)
	a := alias{prob: make([]float64, n), alias: make([]int32, n)}
	sum := 0.0
	for _, w := range weights {
		sum += max(w, 0)
	}
	if n == 0 || sum == 0 {
		for i := range a.prob {
			a.prob[i] = 1
		}
		return a
	}
	scaled := make([]float64, n)
	var small, large []int32
	for i, w := range weights {
		scaled[i] = max(w, 0) * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = scaled[s], l
		scaled[l] += scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i], a.alias[i] = 1, i
	}
	return a
}

func (a *alias) draw(r *rand.Rand) int {
	i := r.IntN(len(a.prob))
	if r.Float64() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}
