package httpapi

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/analysis"
)

// lastDay parses a YYYY-MM-DD date of the API (the zero time if it cannot).
func lastDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// reportEffects is how many of an area's latest completed operations the report follows up.
const reportEffects = 3

// effectPage is the report's section on the effect follow-up of the area's operations.
var effectPage = template.Must(template.New("effects").Funcs(template.FuncMap{
	"num": numText,
	"count": func(c analysis.CountJSON) string {
		if c.Value == nil {
			return "– (" + c.Reason + ")"
		}
		return fmtNum(float64(*c.Value))
	},
	"wdq": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmtNum(*v)
	},
}).Parse(`<h2>Uppföljning av insatser</h2>
{{if not .}}<p>Inga insatser på området att följa upp.</p>{{else}}
<table>
<tr><th>Insats</th><th>Före</th><th>Efter</th><th>Området före/efter</th><th>Kontroller före/efter</th><th>Kvot mot kontroller (95 % KI)</th><th>WDQ (zon)</th></tr>
{{range .}}<tr><td>{{.E.Operation.Name}}</td><td>{{.E.Before.From}} – {{.E.Before.To}}</td><td>{{.E.After.From}} – {{.E.After.To}}</td>
<td>{{count .E.Target.Before}} / {{count .E.Target.After}}</td><td>{{.ControlsBefore}} / {{.ControlsAfter}}</td>
<td>{{if .E.Estimate}}{{num .E.Estimate.RatioOfRatios}} ({{num .E.Estimate.Lower}}–{{num .E.Estimate.Upper}}){{else}}– ({{.E.Reason}}){{end}}</td>
<td>{{if .E.Estimate}}{{wdq .E.Estimate.WDQ}}{{else}}–{{end}}</td></tr>
{{if .E.Estimate}}<tr><td colspan="7" class="note">{{.E.Estimate.Verdict}} Zonen {{num .E.BufferM}} m runt området: {{.E.Estimate.WDQReading}}.
Kontroller: {{range $i, $c := .E.Controls}}{{if $i}}, {{end}}{{$c.Name}}{{if $c.OwnOperation}} (egen insats){{end}}{{end}}.</td></tr>{{end}}
{{end}}</table>
<p class="note">Skillnad i skillnader på logaritmerade antal med Poissonvarians: kvoten är områdets efter/före delat med
kontrollernas efter/före; under 1 minskade området mer än kontrollerna. WDQ (Bowers &amp; Johnson 2003) jämför förändringen
i en zon runt området med förändringen i området; positiv: spridning av nytta, negativ: förflyttning.</p>
<ul class="note">{{range (index . 0).E.Design}}<li>{{.}}</li>
{{end}}</ul>{{end}}
`))

type effectRow struct {
	E                             *analysis.EffectFollowUp
	ControlsBefore, ControlsAfter string
}

// effectSection renders the follow-up of the area's latest completed operations (whose last
// month is in the data) for the report; it is
// empty without an AnalysisService. An operation that cannot be followed up is left out and
// logged, so a failing follow-up never takes the rest of the report down.
func (s *Server) effectSection(r *http.Request, areaID string) template.HTML {
	if s.Analysis == nil {
		return ""
	}
	ops, err := s.Analysis.AreaOperations(r.Context(), areaID)
	if err != nil {
		s.Logger.Error("report: operations", "area", areaID, "error", err.Error(), "request_id", middleware.GetReqID(r.Context()))
		return ""
	}
	var rows []effectRow
	for _, op := range ops {
		if len(rows) == reportEffects {
			break
		}
		e, err := s.Analysis.OperationEffect(r.Context(), op.ID, analysis.EffectQuery{})
		if err != nil {
			s.Logger.Error("report: effect follow-up", "operation", op.ID, "error", err.Error(), "request_id", middleware.GetReqID(r.Context()))
			continue
		}
		if e.Estimate == nil && len(e.Controls) == 0 {
			continue // not yet a whole month after the start, or nothing to compare with
		}
		if op.End.After(lastDay(e.After.To)) {
			continue // still running, or its last month is not complete in the data yet
		}
		row := effectRow{E: e}
		cb, ca, hidden := 0, 0, false
		for _, c := range e.Controls {
			if c.Before.Value == nil || c.After.Value == nil {
				hidden = true
				continue
			}
			cb, ca = cb+*c.Before.Value, ca+*c.After.Value
		}
		row.ControlsBefore, row.ControlsAfter = fmtNum(float64(cb)), fmtNum(float64(ca))
		if hidden {
			row.ControlsBefore, row.ControlsAfter = "–", "–"
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	if err := effectPage.Execute(&b, rows); err != nil {
		s.Logger.Error("report: effect section", "error", err.Error())
		return ""
	}
	return template.HTML(b.String())
}
