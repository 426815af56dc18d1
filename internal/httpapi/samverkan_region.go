package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// The printable samverkansråd lägesbild of one police region and period: the region's areas,
// what changed, the joint ranking, each agency's contribution (the observations the caller may
// see), presence, and the operations of the period with their follow-up (and links to each
// area's report).

var regionReportPage = template.Must(template.New("region").Funcs(template.FuncMap{
	"ind": indText, "num": numText, "trend": trendText, "score": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmtNum(*v)
	},
	"count": countText,
}).Parse(`<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>Samverkansrådets lägesbild – polisregion {{.Region}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#111}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #999;padding:.2em .5em;text-align:left}.note{color:#444;font-size:.9em}.synthetic{background:#fff3cd;padding:.5em}
@media print{a{color:#111;text-decoration:none}}</style></head>
<body>
<h1>Samverkansrådets lägesbild – polisregion {{.Region}}</h1>
<p>Period {{.List.Period.From}} – {{.List.Period.To}} ({{.List.Period.Days}} dagar), jämfört med perioden före. Lista {{.List.Set}}.</p>
{{if .Synthetic}}<p class="synthetic">Innehåller SYNTETISKA demodata: de beskriver inga verkliga händelser.</p>{{end}}

<h2>Regionens områden och vad som förändrats</h2>
<table>
<tr><th>Område</th><th>Klass</th><th>Kommun</th><th>Händelser</th><th>Perioden före</th><th>Förändring %</th><th>Trend (z)</th><th>Närvarotimmar/vecka per 1 000</th></tr>
{{range .List.Rows}}<tr><td><a href="/api/v1/areas/{{.Area.ID}}/report?from={{$.List.Period.From}}&amp;to={{$.List.Period.To}}">{{.Area.Name}}</a></td><td>{{.Area.Class}}</td><td>{{.Area.KommunName}}</td>
<td>{{ind .Count}}</td><td>{{ind .PreviousCount}}</td><td>{{ind .ChangePercent}}</td><td>{{trend .Trend}}</td><td>{{ind .PresenceHours}}</td></tr>
{{end}}</table>

<h2>Gemensam prioritering</h2>
<p class="note">Analytikernas verktyg, inte en offentlig rangordning. Vikter och komponenter: se docs/risk-model.md.</p>
<table>
<tr><th>Rang</th><th>Område</th><th>Poäng</th><th>Observationer (totalt, som du får se)</th></tr>
{{range .Priority.Areas}}<tr><td>{{.Rank}}</td><td>{{.Area.Name}}</td><td>{{score .Score}}</td><td>{{index $.AreaObs .Area.ID}}</td></tr>
{{end}}</table>

<h2>Myndigheternas bidrag</h2>
{{if .Picture}}<table>
<tr><th>Myndighet</th><th>Grund</th><th>Observationer i regionen</th></tr>
{{range .Picture.Contributions}}<tr><td>{{.AgencyName}}</td><td>{{.Basis}}{{if .DecisionName}} ({{.DecisionName}}){{end}}{{if .Synthetic}} <em>syntetiska</em>{{end}}</td><td>{{count .Total}}</td></tr>
{{else}}<tr><td colspan="3">Inga observationer som du får se under perioden.</td></tr>
{{end}}</table>
<p class="note">{{.Picture.Note}} Läsningen av andra myndigheters uppgifter är loggad med det samverkansbeslut som tillåter den.</p>
{{else}}<p>Din roll läser inga observationer.</p>{{end}}

<h2>Insatser och uppföljning</h2>
{{if .Operations}}<table>
<tr><th>Område</th><th>Insats</th><th>Myndigheter</th><th>Period</th><th>Uppföljning</th></tr>
{{range .Operations}}<tr><td>{{.Area}}</td><td>{{.Name}}{{if .Synthetic}} <em>syntetisk</em>{{end}}</td><td>{{.Agencies}}</td><td>{{.Start}} – {{.End}}</td><td>{{.FollowUp}}</td></tr>
{{end}}</table>
<p class="note">Uppföljningen jämför området före och efter insatsens start med jämförbara områden utan insats (kvot under 1: området minskade mer);
den visar inte att insatsen orsakade förändringen. Detaljer och antaganden i varje områdes rapport (länkarna ovan).</p>
{{else}}<p>Inga insatser i regionens områden under perioden.</p>{{end}}

<h2>Om uppgifterna</h2>
<ul class="note">{{range .List.Notes}}<li>{{.}}</li>{{end}}<li>”–” betyder att uppgiften inte visas (små tal, 1–4, eller för få händelser).</li></ul>
</body></html>
`))

type regionReport struct {
	Region     string
	List       *summary.List
	Priority   *summary.Priority
	Picture    *samverkan.Picture
	AreaObs    map[string]string
	Operations []regionOperation
	Synthetic  bool
}

// regionOperation is one operation of the period on one of the region's areas, with its
// follow-up in a line.
type regionOperation struct {
	Area, Name, Agencies, Start, End, FollowUp string
	Synthetic                                  bool
}

// maxRegionFollowUps bounds the effect follow-ups with an estimate one region report shows,
// newest first (each is a query over the region's grid; at most maxRegionEffectQueries are
// run); older operations say where to read theirs.
const (
	maxRegionFollowUps     = 8
	maxRegionEffectQueries = 24
)

// regionOperations lists the operations that overlap the period on the listed areas, newest
// first, each with the follow-up of the area report (a ratio of ratios against control areas)
// once a whole month after its end is in the data. Without an AnalysisService: none.
func (s *Server) regionOperations(r *http.Request, list *summary.List) []regionOperation {
	if s.Analysis == nil {
		return nil
	}
	from, to := lastDay(list.Period.From), lastDay(list.Period.To)
	type item struct {
		ro regionOperation
		op analysis.Operation
	}
	var items []item
	for _, row := range list.Rows {
		ops, err := s.Analysis.AreaOperations(r.Context(), row.Area.ID)
		if err != nil {
			s.Logger.Error("region report: operations", "area", row.Area.ID, "error", err.Error(), "request_id", middleware.GetReqID(r.Context()))
			continue
		}
		for _, op := range ops {
			if op.End.Before(from) || op.Start.After(to) {
				continue
			}
			names := make([]string, 0, len(op.Agencies))
			for _, a := range op.Agencies {
				if n := lagesbild.AgencyName(a); n != "" {
					a = n
				}
				names = append(names, a)
			}
			items = append(items, item{op: op, ro: regionOperation{Area: row.Area.Name, Name: op.Name, Agencies: strings.Join(names, ", "),
				Start: op.Start.Format(time.DateOnly), End: op.End.Format(time.DateOnly), Synthetic: op.Synthetic,
				FollowUp: "se områdets rapport"}})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].op.Start.After(items[j].op.Start) })
	out := make([]regionOperation, len(items))
	followed, queries := 0, 0
	for i, it := range items {
		if followed < maxRegionFollowUps && queries < maxRegionEffectQueries {
			queries++
			var done bool
			if it.ro.FollowUp, done = s.followUpLine(r, it.op); done {
				followed++ // only a follow-up with an estimate counts against the bound
			}
		}
		out[i] = it.ro
	}
	return out
}

// followUpLine is an operation's follow-up in one line, and whether it has an estimate.
func (s *Server) followUpLine(r *http.Request, op analysis.Operation) (string, bool) {
	e, err := s.Analysis.OperationEffect(r.Context(), op.ID, analysis.EffectQuery{})
	switch {
	case err != nil:
		s.Logger.Error("region report: effect follow-up", "operation", op.ID, "error", err.Error(), "request_id", middleware.GetReqID(r.Context()))
		return "– (kunde inte beräknas)", false
	case op.End.After(lastDay(e.After.To)):
		return "pågår, eller dess sista månad finns inte ännu i uppgifterna", false
	case e.Estimate == nil:
		if e.Reason != "" {
			return "– (" + e.Reason + ")", false
		}
		return "–", false
	}
	return fmt.Sprintf("kvot mot kontroller %s (95 %% KI %s–%s), %d kontrollområden", fmtNum(e.Estimate.RatioOfRatios),
		fmtNum(e.Estimate.Lower), fmtNum(e.Estimate.Upper), len(e.Controls)), true
}

func (s *Server) handleRegionReport(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	if !regionCode.MatchString(code) {
		return lagesbild.Invalid("code", "%q is not a police region code such as 5300", truncate(code, 20))
	}
	if !identity(r).Scope.AllowsRegion(code) {
		return forbidden("the region %s lies outside your scope", code)
	}
	v := r.URL.Query()
	if err := checkParams(v, "set", "from", "to"); err != nil {
		return err
	}
	year := 2025
	if y := v.Get("set"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			return lagesbild.Invalid("set", "%q is not a list year such as 2025", truncate(y, 20))
		}
		year = n
	}
	var q summary.Query
	var err error
	if q.From, err = parseDay("from", v.Get("from")); err != nil {
		return err
	}
	if q.To, err = parseDay("to", v.Get("to")); err != nil {
		return err
	}
	q.Region = code
	list, err := s.Summaries.List(r.Context(), year, q)
	if err != nil {
		return listNotFound(err, year)
	}
	pr, err := s.Summaries.Prioritise(r.Context(), year, q, nil, risk.PercentRank)
	if err != nil {
		return listNotFound(err, year)
	}
	allowed, err := s.scopeFilter(r, year)
	if err != nil {
		return err
	}
	list.Rows = slices.DeleteFunc(list.Rows, func(row summary.Row) bool { return !allowed(row.Area.ID) })
	pr.Areas = slices.DeleteFunc(pr.Areas, func(a summary.PriorityArea) bool { return !allowed(a.Area.ID) })
	d := regionReport{Region: code, List: list, Priority: pr, AreaObs: map[string]string{}, Operations: s.regionOperations(r, list)}
	for _, row := range list.Rows {
		d.Synthetic = d.Synthetic || row.Synthetic
	}
	pq := periodQuery(list.Period, "")
	pq.Region = code
	if d.Picture, err = s.joinedPicture(r, pq); err != nil {
		return err
	}
	joint, err := s.withRankingObservations(w, r, pr)
	if err != nil {
		return err
	}
	if jp, ok := joint.(jointPriority); ok {
		for id, p := range jp.Observations {
			var parts []string
			for _, c := range p.Contributions {
				basis := "egen myndighet"
				if c.Decision != "" {
					basis = c.Decision
				}
				parts = append(parts, c.AgencyName+" ("+basis+"): "+countText(c.Total))
			}
			d.AreaObs[id] = strings.Join(parts, "; ")
		}
	}
	var b strings.Builder
	if err := regionReportPage.Execute(&b, d); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	privateNoStore(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
	return nil
}
