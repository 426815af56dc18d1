package demo

import (
	"fmt"
	"sort"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// streamObservations feeds the agencies' synthetic observations (kept apart from the other
// streams so that adding them changed nothing else).
const streamObservations = 100

// DemoDecision is a synthetic samverkansbeslut of the demo: the agencies, the police region it
// covers and its validity (dates, valid_until inclusive).
type DemoDecision struct {
	ID, Name, Purpose, Region, DecidedBy string
	Agencies                             []string
	ValidFrom, ValidUntil                string
}

// Decisions are the demo's two decisions: Stockholm (pm, skv, fk, mv, kfm) and Öst (pm, skv, fk,
// kvv). Migrationsverket's observations in Öst and Kronofogden's outside Stockholm are shared
// under none: only their own agency sees them.
var Decisions = []DemoDecision{
	{ID: "SB-DEMO-STHLM", Name: "Syntetiskt samverkansbeslut: utsatta områden i region Stockholm",
		Purpose: "SYNTETISK DEMO: gemensam lägesbild för utsatta områden i polisregion Stockholm",
		Region:  "5300", DecidedBy: "Regionala samverkansrådet Stockholm (syntetiskt)",
		Agencies:  []string{"pm", "skv", "fk", "mv", "kfm"},
		ValidFrom: "2024-01-01", ValidUntil: "2027-12-31"},
	{ID: "SB-DEMO-OST", Name: "Syntetiskt samverkansbeslut: utsatta områden i region Öst",
		Purpose: "SYNTETISK DEMO: gemensam lägesbild för utsatta områden i polisregion Öst",
		Region:  "5400", DecidedBy: "Regionala samverkansrådet Öst (syntetiskt)",
		Agencies:  []string{"pm", "skv", "fk", "kvv"},
		ValidFrom: "2024-01-01", ValidUntil: "2027-12-31"},
}

// observationModel is one agency's contribution: records per area and month of a category.
type observationModel struct {
	agency, category string
	perMonth         float64 // mean records per area and month, at a särskilt utsatt area
	indicator        bool    // a monthly count per area instead of records
}

var observationModels = []observationModel{
	{"skv", "folkbokforingskontroll", 3, false},
	{"skv", "kontrollbesok", 1.5, false},
	{"fk", "felaktig_utbetalning", 9, true},
	{"fk", "misstankt_bedrageri", 1, false},
	{"mv", "arbetsplatsinspektion", 1.2, false},
	{"kfm", "utmatning", 6, true},
	{"kfm", "avhysning", 0.8, false},
	{"kvv", "frivard_klient", 4, true},
}

// Observations generates the agencies' synthetic observations for the last twelve months of the
// period over the areas of police regions Stockholm and Öst: records at points inside the areas
// and monthly indicators per area, each under the demo decision of its region when the agency
// takes part in it (otherwise none). All are SYNTHETIC.
func Observations(input Input, o Options) ([]lagesbild.Observation, error) {
	o, err := o.normalized()
	if err != nil {
		return nil, err
	}
	w, err := buildWorld(input, o.Seed)
	if err != nil {
		return nil, err
	}
	r := newRand(o.Seed, streamObservations)
	decisionOf := func(region, agency string) string {
		for _, d := range Decisions {
			if d.Region != region {
				continue
			}
			for _, a := range d.Agencies {
				if a == agency {
					return d.ID
				}
			}
		}
		return ""
	}
	end := time.Date(o.End.Year(), o.End.Month(), 1, 0, 0, 0, 0, time.UTC)
	loc, _ := time.LoadLocation("Europe/Stockholm")
	if loc == nil {
		loc = time.UTC
	}
	var out []lagesbild.Observation
	areas := append([]areaModel(nil), w.areas...)
	sort.Slice(areas, func(i, j int) bool { return areas[i].ID < areas[j].ID })
	for _, a := range areas {
		region := w.region(a.kommun)
		if region != "5300" && region != "5400" {
			continue
		}
		level := 1.0
		if a.Class != lagesbild.ClassSarskiltUtsatt {
			level = 0.5
		}
		for m := 12; m >= 1; m-- {
			month := end.AddDate(0, -m, 0)
			first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, loc)
			for _, om := range observationModels {
				if om.agency == "kvv" && region != "5400" || om.agency == "mv" && region != "5300" && r.Float64() < 0.5 {
					continue
				}
				mean := om.perMonth * level * a.variation
				n := poisson(r, mean)
				dec := decisionOf(region, om.agency)
				if om.indicator {
					out = append(out, lagesbild.Observation{SourceID: fmt.Sprintf("%s-%s-%s-%s", om.agency, om.category, a.ID, first.Format("2006-01")),
						Agency: om.agency, Kind: lagesbild.ObservationIndicator, Category: om.category, ObservedAt: first, Value: n,
						Precision: lagesbild.PrecisionArea, AreaID: a.ID, Classification: lagesbild.ClassSekretess, DecisionID: dec,
						Synthetic: true, Line: len(out) + 2})
					continue
				}
				days := first.AddDate(0, 1, 0).Sub(first).Hours() / 24
				for k := range n {
					at := first.Add(time.Duration(r.Float64()*days*24) * time.Hour).Add(time.Duration(r.IntN(60)) * time.Minute)
					out = append(out, lagesbild.Observation{SourceID: fmt.Sprintf("%s-%s-%s-%s-%d", om.agency, om.category, a.ID, first.Format("2006-01"), k),
						Agency: om.agency, Kind: lagesbild.ObservationRecord, Category: om.category, ObservedAt: at, Value: 1,
						Precision: lagesbild.PrecisionExact, Point: toWGS84(a.shape.uniform(r)), Classification: lagesbild.ClassSekretess,
						DecisionID: dec, Synthetic: true, Line: len(out) + 2})
				}
			}
		}
	}
	return out, nil
}
