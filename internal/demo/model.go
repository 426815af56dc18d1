package demo

import (
	"math/rand/v2"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The rate model. All figures are invented for the demo but chosen to look like Swedish police
// statistics: theft dominates, shootings and blasts are rare and concentrated in the utsatta
// områden, violence peaks on weekend nights, burglary in the dark half of the year and welfare
// fraud is registered in office hours. docs/demo-data.md describes the model.

// IncidentsPerYear is the number of incidents generated per year at Scale 1 (before the
// planted patterns are added): about 400 000 over the default two years.
const IncidentsPerYear = 200_000

// categoryKind is one category string an agency writes, with its weight inside the group.
// Every string is in internal/ingest/taxonomy.tsv, so the import maps it back to the group.
type categoryKind struct {
	category string
	agencies []weightedAgency
	weight   float64
}

type weightedAgency struct {
	code   string
	weight float64
}

// groupModel describes one analysis group.
type groupModel struct {
	group lagesbild.CategoryGroup
	// share is the group's share of the incidents outside the utsatta områden.
	share float64
	// areaFactor is the rate per resident inside an utsatt (index 0) and a särskilt utsatt
	// (index 1) område relative to the rate outside.
	areaFactor [2]float64
	// month holds relative rates for January to December (normalised to mean 1 when used).
	month [12]float64
	// hour is the relative rate per hour of an ordinary day, weekendNight multiplies Friday and
	// Saturday evenings and the small hours of Saturday and Sunday, weekendDay Saturday and
	// Sunday daytime (6–18).
	hour                     [24]float64
	weekendNight, weekendDay float64
	kinds                    []categoryKind
}

func pm() []weightedAgency { return []weightedAgency{{"pm", 1}} }

var (
	nightViolence = [24]float64{6, 5, 4, 3, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7, 7, 7, 7}
	evening       = [24]float64{5, 4, 3, 2, 1.2, 0.8, 0.6, 0.6, 0.8, 1, 1.2, 1.5, 1.8, 2, 2.2, 2.5, 3, 3.5, 4, 5, 6, 6.5, 6.5, 6}
	smallHours    = [24]float64{8, 9, 9, 8, 6, 3, 1.5, 0.8, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 4, 6}
	afternoon     = [24]float64{3, 3, 2.5, 2, 1, 0.6, 0.5, 0.7, 1, 1.3, 1.6, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 5.5, 5.5, 5, 4.5, 3.5}
	patrol        = [24]float64{2, 1.5, 1, 0.7, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7, 7, 6.5, 5.5, 4, 3}
	daytime       = [24]float64{0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 7, 7, 7, 7, 6.5, 6, 5, 4, 3, 2.5, 2, 1.5, 1}
	fireHours     = [24]float64{5, 5, 4, 3, 2, 1.2, 1, 1.2, 1.5, 2, 2.2, 2.5, 2.8, 3, 3.2, 3.5, 4, 4.5, 5, 6, 7, 7.5, 7, 6}
	theftHours    = [24]float64{1.5, 1.2, 1, 0.8, 0.7, 0.8, 1.5, 3, 4.5, 5.5, 6, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6, 5.5, 4.5, 3.5, 3, 2.5, 2}
	officeHours   = [24]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 2, 6, 8, 8, 7, 5, 7, 8, 7, 5, 2, 0.5, 0.3, 0.2, 0.2, 0.1, 0.1}
	mixedHours    = [24]float64{2, 1.5, 1.2, 1, 0.8, 0.8, 1.5, 3, 4.5, 5.5, 6, 6, 6, 6, 6, 6, 6, 5.5, 5, 4.5, 4, 3.5, 3, 2.5}
	flatMonths    = [12]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
)

// groups is the rate model, in the order of lagesbild.CategoryGroups.
var groups = []groupModel{
	{group: lagesbild.GroupSkjutning, share: 0.001, areaFactor: [2]float64{12, 20},
		month: [12]float64{1, 0.95, 0.95, 1, 1, 1.05, 1.05, 1.05, 1, 1, 0.95, 1},
		hour:  evening, weekendNight: 1.5, weekendDay: 1,
		kinds: []categoryKind{{"skottlossning", pm(), 0.85}, {"skjutvapenvåld", pm(), 0.15}}},
	{group: lagesbild.GroupSprangning, share: 0.0008, areaFactor: [2]float64{10, 16},
		month: [12]float64{1, 0.95, 0.95, 1, 1, 1.05, 1.05, 1.05, 1, 1, 0.95, 1},
		hour:  smallHours, weekendNight: 1.2, weekendDay: 1,
		kinds: []categoryKind{{"sprängning", pm(), 0.6}, {"explosion", pm(), 0.25},
			{"detonation", pm(), 0.05}, {"allmänfarlig ödeläggelse", pm(), 0.1}}},
	{group: lagesbild.GroupGrovtVald, share: 0.015, areaFactor: [2]float64{5, 7},
		month: [12]float64{0.92, 0.9, 0.95, 1, 1.05, 1.1, 1.1, 1.08, 1, 0.95, 0.95, 1},
		hour:  nightViolence, weekendNight: 1.8, weekendDay: 1,
		kinds: []categoryKind{{"mordförsök", pm(), 0.45}, {"mord", pm(), 0.12}, {"dråp", pm(), 0.05},
			{"olaga frihetsberövande", []weightedAgency{{"pm", 0.9}, {"kvv", 0.1}}, 0.3},
			{"människorov", pm(), 0.08}}},
	{group: lagesbild.GroupMisshandelHot, share: 0.18, areaFactor: [2]float64{4, 5.5},
		month: [12]float64{0.92, 0.9, 0.95, 1, 1.05, 1.1, 1.1, 1.08, 1, 0.95, 0.95, 1},
		hour:  nightViolence, weekendNight: 2.2, weekendDay: 1,
		kinds: []categoryKind{{"misshandel", pm(), 0.45}, {"grov misshandel", pm(), 0.08},
			{"olaga hot", pm(), 0.25}, {"ofredande", pm(), 0.1},
			{"våld mot tjänsteman", []weightedAgency{{"pm", 0.6}, {"kvv", 0.2}, {"tv", 0.1}, {"kbv", 0.1}}, 0.04},
			{"hot mot tjänsteman", []weightedAgency{{"pm", 0.3}, {"fk", 0.15}, {"af", 0.15}, {"kfm", 0.15},
				{"skv", 0.1}, {"mv", 0.1}, {"kvv", 0.05}}, 0.08}}},
	{group: lagesbild.GroupRan, share: 0.022, areaFactor: [2]float64{4, 6},
		month: [12]float64{0.92, 0.9, 0.95, 1, 1.05, 1.1, 1.1, 1.08, 1, 0.95, 0.95, 1},
		hour:  afternoon, weekendNight: 1.4, weekendDay: 1,
		kinds: []categoryKind{{"rån", pm(), 0.5}, {"personrån", pm(), 0.35}, {"grovt rån", pm(), 0.1},
			{"väpnat rån", pm(), 0.05}}},
	{group: lagesbild.GroupNarkotika, share: 0.08, areaFactor: [2]float64{6, 9},
		month: [12]float64{1, 1, 1, 1, 1.05, 1.1, 1.1, 1.05, 1, 1, 0.95, 0.9},
		hour:  patrol, weekendNight: 1.3, weekendDay: 1,
		kinds: []categoryKind{{"narkotikabrott", pm(), 0.55}, {"narkotikainnehav", pm(), 0.28},
			{"grovt narkotikabrott", pm(), 0.09},
			{"narkotikasmuggling", []weightedAgency{{"tv", 0.75}, {"kbv", 0.25}}, 0.08}}},
	{group: lagesbild.GroupOvergreppRattssak, share: 0.008, areaFactor: [2]float64{7, 11},
		month: [12]float64{1, 1, 1, 1, 1, 1, 0.8, 0.9, 1, 1, 1, 1},
		hour:  daytime, weekendNight: 1, weekendDay: 0.5,
		kinds: []categoryKind{{"övergrepp i rättssak", []weightedAgency{{"pm", 0.75}, {"am", 0.25}}, 0.7},
			{"vittneshot", []weightedAgency{{"pm", 0.8}, {"am", 0.2}}, 0.3}}},
	{group: lagesbild.GroupBrandSkadegorelse, share: 0.13, areaFactor: [2]float64{4, 5.5},
		month: [12]float64{1.05, 0.85, 0.9, 1, 1.1, 1.12, 1.08, 1.05, 0.95, 0.95, 0.95, 1},
		hour:  fireHours, weekendNight: 1.4, weekendDay: 1,
		kinds: []categoryKind{{"skadegörelse", pm(), 0.45}, {"bilbrand", pm(), 0.22},
			{"anlagd brand", pm(), 0.13}, {"klotter", pm(), 0.15}, {"mordbrand", pm(), 0.05}}},
	{group: lagesbild.GroupStoldInbrott, share: 0.35, areaFactor: [2]float64{1.3, 1.5},
		month: [12]float64{1.12, 1, 0.95, 0.9, 0.9, 0.88, 0.92, 0.9, 0.95, 1.1, 1.18, 1.2},
		hour:  theftHours, weekendNight: 1, weekendDay: 0.9,
		kinds: []categoryKind{{"stöld", pm(), 0.38}, {"bostadsinbrott", pm(), 0.2}, {"inbrott", pm(), 0.15},
			{"fordonsstöld", pm(), 0.12}, {"snatteri", pm(), 0.12}, {"häleri", pm(), 0.03}}},
	{group: lagesbild.GroupBedrageriValfard, share: 0.10, areaFactor: [2]float64{3, 4.5},
		month: [12]float64{1.05, 1.05, 1.05, 1, 1, 0.95, 0.65, 0.85, 1.1, 1.1, 1.1, 1.1},
		hour:  officeHours, weekendNight: 1, weekendDay: 0.1,
		kinds: []categoryKind{
			{"bedrägeri", []weightedAgency{{"pm", 0.9}, {"kfm", 0.1}}, 0.26},
			{"identitetsbedrägeri", pm(), 0.07},
			{"urkundsförfalskning", []weightedAgency{{"pm", 0.6}, {"mv", 0.4}}, 0.05},
			{"bidragsbrott", []weightedAgency{{"fk", 0.7}, {"af", 0.2}, {"ubm", 0.1}}, 0.2},
			{"felaktig utbetalning", []weightedAgency{{"fk", 0.5}, {"ubm", 0.3}, {"af", 0.2}}, 0.1},
			{"osann försäkran", []weightedAgency{{"fk", 0.6}, {"kfm", 0.4}}, 0.05},
			{"välfärdsbrott", []weightedAgency{{"ubm", 0.6}, {"fk", 0.4}}, 0.04},
			{"skattebrott", []weightedAgency{{"skv", 0.8}, {"ebm", 0.2}}, 0.09},
			{"svartarbete", []weightedAgency{{"skv", 0.7}, {"af", 0.3}}, 0.05},
			{"bokföringsbrott", []weightedAgency{{"ebm", 0.6}, {"skv", 0.4}}, 0.04},
			{"penningtvätt", []weightedAgency{{"ebm", 0.5}, {"pm", 0.4}, {"kfm", 0.1}}, 0.05}}},
	{group: lagesbild.GroupOvrigt, share: 0.1132, areaFactor: [2]float64{3, 4},
		month: flatMonths, hour: mixedHours, weekendNight: 1.2, weekendDay: 1,
		kinds: []categoryKind{{"vapenbrott", []weightedAgency{{"pm", 0.85}, {"tv", 0.15}}, 0.22},
			{"smuggling", []weightedAgency{{"tv", 0.8}, {"kbv", 0.2}}, 0.08},
			{"annat", []weightedAgency{{"pm", 0.85}, {"kvv", 0.08}, {"mv", 0.06}, {"sapo", 0.01}}, 0.7}}},
}

// classifiedShare is the share of an agency's records marked "begränsad": all of the Security
// Service's, more of the economic crime and tax records than of the police's.
var classifiedShare = map[string]float64{"sapo": 1, "ebm": 0.3, "skv": 0.1, "tv": 0.1, "kvv": 0.1, "pm": 0.03}

func classification(r *rand.Rand, agency string) string {
	share, ok := classifiedShare[agency]
	if !ok {
		share = 0.05
	}
	if r.Float64() < share {
		return "begränsad"
	}
	return ""
}

// areaFactor returns the multiplier of a class; riskområden (lists up to 2023) sit between.
func (g *groupModel) factor(c lagesbild.AreaClass) float64 {
	switch c {
	case lagesbild.ClassSarskiltUtsatt:
		return g.areaFactor[1]
	case lagesbild.ClassRisk:
		return (g.areaFactor[0] + g.areaFactor[1]) / 2
	}
	return g.areaFactor[0]
}

// isWeekendNight reports whether hour h of a day with weekday wd is a Friday or Saturday night.
func isWeekendNight(wd, h int) bool {
	switch wd {
	case 5: // Friday evening
		return h >= 18
	case 6: // Saturday small hours and evening
		return h < 6 || h >= 18
	case 0: // Sunday small hours
		return h < 6
	}
	return false
}

// hourWeights returns the relative rate of each hour of a day with weekday wd (0 = Sunday).
func (g *groupModel) hourWeights(wd int) [24]float64 {
	w := g.hour
	for h := range w {
		if isWeekendNight(wd, h) {
			w[h] *= g.weekendNight
		} else if (wd == 0 || wd == 6) && h >= 6 && h < 18 {
			w[h] *= g.weekendDay
		}
	}
	return w
}
