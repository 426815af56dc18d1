package summary

import (
	"slices"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func presence(a AreaInfo, p Period, distanceM float64, offices []Office, ops []Operation) Presence {
	out := Presence{OfficeDistanceM: distanceM}
	office, operation := map[string]bool{}, map[string]bool{}
	var staffed, opHours float64
	var last *time.Time
	for _, o := range offices {
		office[o.Agency] = true
		staffed += o.StaffedHoursPerWeek
	}
	for _, o := range ops {
		if o.Start.After(p.To) {
			continue
		}
		end := o.End
		if end.After(p.To) {
			end = p.To
		}
		if last == nil || end.After(*last) {
			last = ptr(end)
		}
		from, to := o.Start, o.End
		if from.Before(p.From) {
			from = p.From
		}
		if to.After(p.To) {
			to = p.To
		}
		if to.Before(from) {
			continue // ended before the period
		}
		days := Period{From: o.Start, To: o.End}.Days()
		opHours += o.PersonHours * float64(Period{From: from, To: to}.Days()) / float64(days)
		for _, ag := range o.Agencies {
			operation[ag] = true
		}
	}
	for _, ag := range lagesbild.Agencies {
		ap := AgencyPresence{Code: ag.Code, Name: ag.Name, Office: office[ag.Code], Operation: operation[ag.Code]}
		if ap.Office || ap.Operation {
			out.AgenciesPresent++
		}
		out.Agencies = append(out.Agencies, ap)
	}
	if last != nil {
		out.LastOperation = ptr(last.Format(time.DateOnly))
		out.DaysSinceLastOperation = ptr(int(p.To.Sub(*last).Hours() / 24))
	}
	if !a.HasPopulation || a.Population <= 0 {
		out.StaffedHours, out.OperationHours, out.HoursPerWeek = withheld(ReasonNoPopulation), withheld(ReasonNoPopulation), withheld(ReasonNoPopulation)
		return out
	}
	per := 1000 / float64(a.Population)
	weeks := float64(p.Days()) / 7
	out.StaffedHours = value(staffed * per)
	out.OperationHours = value(opHours * per)
	out.HoursPerWeek = value((staffed + opHours/weeks) * per)
	return out
}

func provenance(a AreaInfo, rows []Provenance) ProvenanceJSON {
	out := ProvenanceJSON{Sources: []string{}, Agencies: []string{}, PopulationEstimated: a.PopulationEstimated}
	for _, r := range rows {
		if !slices.Contains(out.Sources, r.Source) {
			out.Sources = append(out.Sources, r.Source)
		}
		if !slices.Contains(out.Agencies, r.Agency) {
			out.Agencies = append(out.Agencies, r.Agency)
		}
		out.Synthetic = out.Synthetic || r.Source == lagesbild.SourceSyntheticDemo
	}
	slices.Sort(out.Sources)
	slices.Sort(out.Agencies)
	return out
}
