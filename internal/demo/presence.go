package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Named places of the agencies with few offices. They are plausible, not a register: the demo
// only needs presence to be unevenly spread the way real presence is (ports and border crossings
// for customs, the coast for the coast guard, a few regional seats for the others). A name that
// is not a kommun of the input is skipped.
var (
	customsPlaces    = []string{"Göteborg", "Malmö", "Helsingborg", "Trelleborg", "Ystad", "Karlshamn", "Stockholm", "Nynäshamn", "Norrtälje", "Haparanda", "Strömstad", "Sigtuna", "Härryda", "Eda", "Åre", "Luleå", "Umeå", "Norrköping", "Gävle", "Varberg", "Kiruna"}
	coastGuardPlaces = []string{"Strömstad", "Lysekil", "Göteborg", "Varberg", "Helsingborg", "Malmö", "Simrishamn", "Karlskrona", "Kalmar", "Västervik", "Oxelösund", "Nynäshamn", "Värmdö", "Stockholm", "Gävle", "Härnösand", "Umeå", "Luleå", "Gotland"}
	ebmPlaces        = []string{"Stockholm", "Göteborg", "Malmö", "Linköping", "Umeå", "Borlänge", "Gävle", "Örebro"}
	sapoPlaces       = []string{"Solna", "Göteborg", "Malmö", "Umeå", "Örebro", "Linköping", "Sundsvall"}
	migrationPlaces  = []string{"Sundbyberg", "Solna", "Göteborg", "Malmö", "Norrköping", "Gävle", "Boden", "Flen", "Uppsala", "Örebro", "Kristianstad", "Umeå"}
	prisonPlaces     = []struct{ kommun, name string }{{"Kumla", "Anstalten Kumla"}, {"Södertälje", "Anstalten Hall"}, {"Tidaholm", "Anstalten Tidaholm"}, {"Härnösand", "Anstalten Saltvik"}, {"Norrtälje", "Anstalten Norrtälje"}}
	ubmPlaces        = []string{"Karlstad", "Stockholm", "Sundsvall"}
)

// Offices returns the synthetic offices of the 13 agencies, a few hundred: a police station in
// every kommun of 12 000 residents or more and in most smaller ones (several in the big cities,
// and stations inside many särskilt utsatta områden), service offices of Försäkringskassan,
// Arbetsförmedlingen and Skatteverket in the larger kommuner, customs at ports and border
// crossings, the coast guard on the coast, and a few regional offices of the others. Each has
// staffed hours per week. It returns nil when the input or options are invalid.
func Offices(in Input, o Options) []lagesbild.Office {
	o, err := o.normalized()
	if err != nil {
		return nil
	}
	w, err := buildWorld(in, o.Seed)
	if err != nil {
		return nil
	}
	r := newRand(o.Seed, streamOffices)
	var out []lagesbild.Office
	names := map[string]int{}
	add := func(agency, name string, p orb.Point, hours float64) {
		// Two stations drawn into the same direction of a city would share a name.
		if names[name]++; names[name] > 1 {
			name = fmt.Sprintf("%s %d", name, names[name])
		}
		out = append(out, lagesbild.Office{Source: lagesbild.SourceSyntheticDemo,
			SourceID: fmt.Sprintf("demo-office-%d", len(out)+1), Agency: agency, Name: name,
			Point: toWGS84(p), StaffedHoursPerWeek: math.Round(hours)})
	}
	near := func(k int, sigmaM float64) orb.Point {
		return w.blobPoint(r, w.kommuner[k].main, sigmaM, k, -1)
	}
	byName := map[string]int{}
	for i, km := range w.kommuner {
		byName[km.Name] = i
	}

	for k := range w.kommuner {
		km := &w.kommuner[k]
		pop := float64(km.Population)
		switch {
		case pop >= 100_000:
			add("pm", "Polisstation "+km.Name, near(k, 300), 168)
		case pop >= 30_000:
			add("pm", "Polisstation "+km.Name, near(k, 300), 60+20*r.Float64())
		case pop >= 12_000 || r.Float64() < 0.6:
			add("pm", "Polisstation "+km.Name, near(k, 300), 10+30*r.Float64())
		}
		// The big cities have one more station per 150 000 residents, named by direction.
		for range int(pop / 150_000) {
			p := w.kommunPoint(r, k)
			add("pm", "Polisstation "+km.Name+" "+direction(km.main, p), p, 40+40*r.Float64())
		}
		for _, office := range []struct {
			agency, name string
			minPop       float64
			hours        float64
		}{
			{"fk", "Försäkringskassan servicekontor " + km.Name, 25_000, 30},
			{"af", "Arbetsförmedlingen " + km.Name, 20_000, 35},
			{"skv", "Skatteverket servicekontor " + km.Name, 40_000, 30},
			{"kfm", "Kronofogden " + km.Name, 80_000, 40},
			{"am", "Åklagarkammaren i " + km.Name, 60_000, 40},
			{"kvv", "Frivården " + km.Name, 50_000, 40},
		} {
			if pop >= office.minPop {
				add(office.agency, office.name, near(k, 600), office.hours+10*r.Float64())
			}
		}
	}
	for _, a := range w.areas {
		chance := 0.25
		if a.Class == lagesbild.ClassSarskiltUtsatt {
			chance = 0.7
		}
		if r.Float64() < chance {
			add("pm", "Polisstation "+a.Name, w.blobPoint(r, a.shape.interior, 150, a.kommun, -1), 40+20*r.Float64())
		}
	}
	named := func(agency string, places []string, name func(string) string, hours float64) {
		for _, place := range places {
			if k, ok := byName[place]; ok {
				add(agency, name(place), near(k, 2000), hours)
			}
		}
	}
	named("tv", customsPlaces, func(p string) string { return "Tullverket " + p }, 60)
	named("kbv", coastGuardPlaces, func(p string) string { return "Kustbevakningsstation " + p }, 84)
	named("ebm", ebmPlaces, func(p string) string { return "Ekobrottsmyndigheten " + p }, 40)
	named("sapo", sapoPlaces, func(p string) string { return "Säkerhetspolisen " + p }, 40)
	named("mv", migrationPlaces, func(p string) string { return "Migrationsverket " + p }, 40)
	named("ubm", ubmPlaces, func(p string) string { return "Utbetalningsmyndigheten " + p }, 40)
	for _, p := range prisonPlaces {
		if k, ok := byName[p.kommun]; ok {
			add("kvv", p.name, near(k, 4000), 168)
		}
	}
	return out
}

// direction names where p lies from c, for naming a second police station.
func direction(c, p orb.Point) string {
	dx, dy := p[0]-c[0], p[1]-c[1]
	switch {
	case math.Hypot(dx, dy) < 1500:
		return "city"
	case math.Abs(dy) >= math.Abs(dx) && dy > 0:
		return "norr"
	case math.Abs(dy) >= math.Abs(dx):
		return "söder"
	case dx > 0:
		return "öster"
	}
	return "väster"
}

// operationsPerYear is the number of joint operations per year, whatever the Scale.
const operationsPerYear = 140

// partnerAgencies are the agencies that join the police in an operation, with how often.
var partnerAgencies = []weightedAgency{{"kfm", 3}, {"skv", 3}, {"fk", 3}, {"af", 2.5}, {"am", 2}, {"kvv", 2},
	{"mv", 1.5}, {"tv", 1.5}, {"ebm", 1}, {"ubm", 1}, {"kbv", 0.3}, {"sapo", 0.3}}

// Operations returns the synthetic joint operations (insatser) of the period: about 140 a year,
// most of them in an utsatt område (särskilt utsatta ones three times as often), some with a
// polygon around a town centre instead; each with the police and 1–5 partner agencies, a start
// and an end, and the person-hours spent. Two belong to the planted story of docs/demo-data.md:
// a year-long operation in Rosengård at the start of the falling shooting trend, and one in
// Rinkeby in the last half year, as its shootings rise. A third, in Vivalla from 1 February 2026,
// is the planted operation with a real drop (see Planted). It returns nil on invalid input.
func Operations(in Input, o Options) []lagesbild.Operation {
	o, err := o.normalized()
	if err != nil {
		return nil
	}
	w, err := buildWorld(in, o.Seed)
	if err != nil {
		return nil
	}
	r := newRand(o.Seed, streamOperations)
	days := o.End.Sub(o.Start).Hours() / 24
	var out []lagesbild.Operation

	areaWeights := make([]float64, len(w.areas))
	for i, a := range w.areas {
		areaWeights[i] = classWeight(a.Class) * math.Sqrt(a.pop)
	}
	areas := newAlias(areaWeights)
	kommunWeights := make([]float64, len(w.kommuner))
	for i, km := range w.kommuner {
		kommunWeights[i] = float64(km.Population)
	}
	kommuner := newAlias(kommunWeights)

	newOp := func(start time.Time, durationDays, nAgencies int, k int) lagesbild.Operation {
		end := minTime(start.AddDate(0, 0, durationDays), o.End)
		agencies := []string{"pm"}
		hours := (40 + 80*r.Float64()) * end.Sub(start).Hours() / 24
		for _, a := range pickAgencies(r, nAgencies-1) {
			agencies = append(agencies, a)
			hours += (8 + 22*r.Float64()) * end.Sub(start).Hours() / 24
		}
		local := swedishWall(start)
		return lagesbild.Operation{Source: lagesbild.SourceSyntheticDemo, Agencies: agencies, Start: start, End: end,
			PersonHours: math.Round(hours/10) * 10,
			SamverkanID: fmt.Sprintf("SAMV-%d-%s-%d", local.Year(), w.region(k), 1+3*((int(local.Month())-1)/3)+r.IntN(3))}
	}
	n := int(math.Round(operationsPerYear * days / 365.25))
	for range n {
		start := o.Start.Add(time.Duration(r.Float64() * float64(o.End.Sub(o.Start)))).Truncate(time.Hour)
		duration := min(max(int(math.Round(math.Exp(math.Log(14)+0.9*r.NormFloat64()))), 1), 180)
		nAgencies := 2 + r.IntN(5)
		if len(w.areas) > 0 && r.Float64() < 0.85 {
			a := &w.areas[areas.draw(r)]
			op := newOp(start, duration, nAgencies, a.kommun)
			op.Name = "Samverkansinsats " + a.Name + " " + monthYear(start)
			op.AreaID = a.ID
			out = append(out, op)
			continue
		}
		k := kommuner.draw(r)
		km := &w.kommuner[k]
		op := newOp(start, duration, nAgencies, k)
		op.Name = "Insats centrala " + km.Name + " " + monthYear(start)
		op.Polygon = polygonToWGS84(orb.MultiPolygon{circle(km.main, 600+900*r.Float64())})
		out = append(out, op)
	}
	for _, story := range []struct {
		areaID          string
		startFrac       float64
		days, nAgencies int
		name            string
		start           time.Time // a fixed start instead of startFrac
	}{
		{"2025-SO2", 0.02, 365, 6, "Samverkansinsats Rosengård (långsiktig)", time.Time{}},
		{"2025-SO74", 0.75, 150, 5, "Samverkansinsats Rinkeby (skjutningar)", time.Time{}},
		{"2025-SO16", 0, VivallaOperationDays, 4, "Samverkansinsats Vivalla (våld och hot)", VivallaOperationStart},
	} {
		a := w.areaByID(story.areaID)
		if a < 0 {
			continue
		}
		start := o.Start.Add(time.Duration(story.startFrac * float64(o.End.Sub(o.Start)))).Truncate(24 * time.Hour)
		if !story.start.IsZero() {
			if story.start.Before(o.Start) || !story.start.Before(o.End) {
				continue
			}
			start = story.start
		}
		op := newOp(start, story.days, story.nAgencies, w.areas[a].kommun)
		op.Name, op.AreaID = story.name, story.areaID
		out = append(out, op)
	}
	slices.SortStableFunc(out, func(a, b lagesbild.Operation) int { return a.Start.Compare(b.Start) })
	for i := range out {
		out[i].SourceID = fmt.Sprintf("demo-op-%d", i+1)
	}
	return out
}

// pickAgencies draws n distinct partner agencies, weighted.
func pickAgencies(r *rand.Rand, n int) []string {
	pool := slices.Clone(partnerAgencies)
	var out []string
	for ; n > 0 && len(pool) > 0; n-- {
		sum := 0.0
		for _, a := range pool {
			sum += a.weight
		}
		x := r.Float64() * sum
		i := 0
		for ; i < len(pool)-1; i++ {
			if x -= pool[i].weight; x < 0 {
				break
			}
		}
		out = append(out, pool[i].code)
		pool = slices.Delete(pool, i, i+1)
	}
	slices.SortFunc(out, cmp.Compare[string])
	return out
}

var monthNames = [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}

func monthYear(t time.Time) string {
	l := swedishWall(t)
	return fmt.Sprintf("%s %d", monthNames[l.Month()-1], l.Year())
}
