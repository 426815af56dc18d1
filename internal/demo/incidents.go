package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Summary is the summary of every generated incident: the data must say it is not real even
// where the source column is not shown.
const Summary = "Syntetisk demohändelse – genererad av lagesbild demo, inte en verklig händelse."

// Incidents streams the synthetic incidents of the period to yield, day by day in time order,
// and stops at the first error yield returns. The same input and options give the same
// incidents, byte for byte. Every incident is exact (a WGS84 point inside its kommun), has
// source lagesbild.SourceSyntheticDemo and a SourceID "demo-<n>" numbered in time order; Cells
// are left for the import path to fill.
func Incidents(in Input, o Options, yield func(lagesbild.Incident) error) error {
	return generate(in, o, func(inc *lagesbild.Incident, _ origin) error { return yield(*inc) })
}

// origin says where an incident came from, for the tests.
type origin struct {
	kommun  int // index into world.kommuner
	area    int // index into world.areas, -1 for background
	planted int // index into Planted, -1 for the model
}

type record struct {
	inc    lagesbild.Incident
	origin origin
}

// generator holds the precomputed tables of one run.
type generator struct {
	w       *world
	o       Options
	r       *rand.Rand
	nk      int           // kommuner; sources nk.. are areas
	sources []alias       // per group: which source an incident comes from
	perDay  []float64     // per group: incidents on an ordinary day (seasonal factors 1)
	month   [][12]float64 // per group, mean 1
	dow     [][7]float64  // per group, mean 1
	hourCum [][7][24]float64
	kindCum [][]float64
	planted []planted
	own     *rand.Rand         // the stream of the patterns from PlantedOwnStreamFrom on
	each    map[int]*rand.Rand // the streams of the patterns from PlantedEachOwnStreamFrom on
	titles  map[string]string
	samv    map[samvKey]string
}

type samvKey struct {
	year   int
	region string
	n      int
}

func generate(in Input, o Options, yield func(*lagesbild.Incident, origin) error) error {
	o, err := o.normalized()
	if err != nil {
		return err
	}
	w, err := buildWorld(in, o.Seed)
	if err != nil {
		return err
	}
	return newGenerator(w, o).run(yield)
}

func newGenerator(w *world, o Options) *generator {
	g := &generator{w: w, o: o, r: newRand(o.Seed, streamIncidents), nk: len(w.kommuner),
		titles: map[string]string{}, samv: map[samvKey]string{}}
	total := 0.0
	weights := make([][]float64, len(groups))
	sums := make([]float64, len(groups))
	for gi := range groups {
		gm := &groups[gi]
		ws := make([]float64, 0, len(w.kommuner)+len(w.areas))
		for _, km := range w.kommuner {
			ws = append(ws, km.bgPop*km.variation*gm.share)
		}
		for _, am := range w.areas {
			ws = append(ws, am.pop*am.variation*gm.share*gm.factor(am.Class))
		}
		for _, x := range ws {
			sums[gi] += x
		}
		total += sums[gi]
		weights[gi] = ws
	}
	perDay := IncidentsPerYear * o.Scale / 365.25
	for gi := range groups {
		gm := &groups[gi]
		g.sources = append(g.sources, newAlias(weights[gi]))
		g.perDay = append(g.perDay, perDay*sums[gi]/total)
		month := gm.month
		normMean(month[:])
		g.month = append(g.month, month)
		var dayW [7]float64
		var cum [7][24]float64
		for wd := range 7 {
			hw := gm.hourWeights(wd)
			s := 0.0
			for h, x := range hw {
				s += x
				cum[wd][h] = s
			}
			dayW[wd] = s
		}
		normMean(dayW[:])
		g.dow = append(g.dow, dayW)
		g.hourCum = append(g.hourCum, cum)
		var kc []float64
		s := 0.0
		for _, k := range gm.kinds {
			s += k.weight
			kc = append(kc, s)
			g.titles[k.category] = capitalize(k.category)
		}
		g.kindCum = append(g.kindCum, kc)
	}
	g.planted = w.resolvePlanted()
	g.own = newRand(o.Seed, streamPlantedOwn)
	g.each = map[int]*rand.Rand{}
	for _, pl := range g.planted {
		if pl.index >= PlantedEachOwnStreamFrom {
			g.each[pl.index] = newRand(o.Seed, streamPlantedEach+uint64(pl.index))
		}
	}
	return g
}

// normMean scales weights to mean 1, so seasonal factors move incidents between days without
// changing the yearly total.
func normMean(a []float64) {
	s := 0.0
	for _, x := range a {
		s += x
	}
	for i := range a {
		a[i] *= float64(len(a)) / s
	}
}

// special returns the factor of a group on a holiday: cars burn and fireworks hide blasts on
// New Year's Eve, fights follow on New Year's morning.
func special(grp lagesbild.CategoryGroup, m time.Month, d int) float64 {
	eve, day := m == time.December && d == 31, m == time.January && d == 1
	switch {
	case grp == lagesbild.GroupBrandSkadegorelse && eve:
		return 4
	case grp == lagesbild.GroupBrandSkadegorelse && day:
		return 2.5
	case grp == lagesbild.GroupSprangning && eve:
		return 2
	case (grp == lagesbild.GroupMisshandelHot || grp == lagesbild.GroupGrovtVald) && day:
		return 1.8
	}
	return 1
}

func (g *generator) run(yield func(*lagesbild.Incident, origin) error) error {
	first := swedishWall(g.o.Start).Truncate(24 * time.Hour)
	last := swedishWall(g.o.End.Add(-time.Nanosecond)).Truncate(24 * time.Hour)
	var buf []record
	var order []int32
	n := 0
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		buf = buf[:0]
		_, m, d := day.Date()
		wd := int(day.Weekday())
		for gi := range groups {
			lambda := g.perDay[gi] * g.month[gi][m-1] * g.dow[gi][wd] * special(groups[gi].group, m, d)
			for range poisson(g.r, lambda) {
				src := g.sources[gi].draw(g.r)
				var p orb.Point
				o := origin{area: -1, planted: -1}
				if src < g.nk {
					o.kommun = src
					p = g.w.kommunPoint(g.r, src)
				} else {
					o.area = src - g.nk
					o.kommun = g.w.areas[o.area].kommun
					p = g.w.areaPoint(g.r, o.area)
				}
				buf = g.add(buf, gi, day, wd, p, o, g.o.Start, g.o.End)
			}
		}
		noon := fromSwedishWall(day.Add(12 * time.Hour))
		for i := range g.planted {
			pl := &g.planted[i]
			if noon.Before(pl.Start) || !noon.Before(pl.End) {
				continue
			}
			lambda := pl.ratePer30Days(noon) / 30 * plantedScale(g.o.Scale)
			// The later patterns draw from their own stream (g.r is swapped back below), so the
			// incidents of the model and of the first patterns are the same with or without them.
			model := g.r
			switch {
			case pl.index >= PlantedEachOwnStreamFrom:
				g.r = g.each[pl.index]
			case pl.index >= PlantedOwnStreamFrom:
				g.r = g.own
			}
			for range poisson(g.r, lambda) {
				o := origin{kommun: pl.kommun, area: pl.area, planted: pl.index}
				var p orb.Point
				switch {
				case pl.Kind == PatternHotSpot && pl.area >= 0:
					p = g.w.blobPoint(g.r, g.w.areas[pl.area].shape.interior, pl.RadiusM, pl.kommun, pl.area)
				case len(pl.sites) > 0:
					p = g.w.blobPoint(g.r, pl.sites[g.r.IntN(len(pl.sites))], pl.RadiusM, pl.kommun, -1)
				case pl.area >= 0:
					p = g.w.areaPoint(g.r, pl.area)
				default:
					p = g.w.kommunPoint(g.r, pl.kommun)
				}
				buf = g.add(buf, pl.group, day, wd, p, o, maxTime(g.o.Start, pl.Start), minTime(g.o.End, pl.End))
			}
			g.r = model
		}
		// Sort indexes, not the large records; the index breaks ties so the order is total.
		order = order[:0]
		for i := range buf {
			order = append(order, int32(i))
		}
		slices.SortFunc(order, func(a, b int32) int {
			if c := buf[a].inc.OccurredAt.Compare(buf[b].inc.OccurredAt); c != 0 {
				return c
			}
			return int(a - b)
		})
		for _, i := range order {
			n++
			rec := &buf[i]
			rec.inc.SourceID = "demo-" + strconv.Itoa(n)
			if err := yield(&rec.inc, rec.origin); err != nil {
				return err
			}
		}
	}
	return nil
}

// add appends one incident of group gi at p (EPSG:3006) on the Swedish day, at an hour drawn
// from the group's profile, unless that instant falls outside [from, to).
func (g *generator) add(buf []record, gi int, day time.Time, wd int, p orb.Point, o origin, from, to time.Time) []record {
	r := g.r
	cum := &g.hourCum[gi][wd]
	h := min(searchHour(cum, r.Float64()*cum[23]), 23)
	t := fromSwedishWall(day.Add(time.Duration(h)*time.Hour + time.Duration(r.IntN(3600))*time.Second))
	gm := &groups[gi]
	kc := g.kindCum[gi]
	kind := &gm.kinds[min(searchCum(kc, r.Float64()*kc[len(kc)-1]), len(kc)-1)]
	agency := kind.agencies[0].code
	if len(kind.agencies) > 1 {
		x := r.Float64()
		for _, a := range kind.agencies {
			agency = a.code
			if x -= a.weight; x < 0 {
				break
			}
		}
	}
	class := classification(r, agency)
	var samv string
	if agency != "pm" {
		samv = g.samverkanID(swedishWall(t), g.w.region(o.kommun))
	}
	if t.Before(from) || !t.Before(to) {
		return buf
	}
	return append(buf, record{origin: o, inc: lagesbild.Incident{
		Source:         lagesbild.SourceSyntheticDemo,
		OccurredAt:     t,
		Category:       kind.category,
		Group:          gm.group,
		Agency:         agency,
		Classification: class,
		SamverkanID:    samv,
		Precision:      lagesbild.PrecisionExact,
		Point:          toWGS84(p),
		Title:          g.titles[kind.category],
		Summary:        Summary,
	}})
}

// samverkanID names the collaboration decision a non-police record was shared under: each
// region takes three decisions a quarter ("SAMV-2025-5300-7").
func (g *generator) samverkanID(local time.Time, region string) string {
	k := samvKey{local.Year(), region, 1 + 3*((int(local.Month())-1)/3) + g.r.IntN(3)}
	s, ok := g.samv[k]
	if !ok {
		s = fmt.Sprintf("SAMV-%d-%s-%d", k.year, k.region, k.n)
		g.samv[k] = s
	}
	return s
}

func searchHour(cum *[24]float64, x float64) int {
	i, _ := slices.BinarySearch(cum[:], x)
	return i
}

func searchCum(cum []float64, x float64) int {
	i, _ := slices.BinarySearch(cum, x)
	return i
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// poisson draws a Poisson variate: by multiplication of uniforms for small means and by
// Hörmann's transformed rejection (PTRS, 1993) for means of 10 and more, where the
// multiplication method would need too many draws.
func poisson(r *rand.Rand, lambda float64) int {
	if !(lambda > 0) {
		return 0
	}
	if lambda < 10 {
		l, k, p := math.Exp(-lambda), 0, r.Float64()
		for p > l {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam, loglam := math.Sqrt(lambda), math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}
