package httpapi

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/risk"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// The report's sections on the analyst's tools that need no points: the weekday × hour profile
// of the period (all groups) and the emerging hot-spot categories of the area's cells over the
// 24 whole months up to the period's end. Near repeat is left out (it reads exact positions,
// which not every reader of a report may see); deviations are a list over all areas (GET
// /api/v1/deviations). A section that fails is left out and logged.

// emergingLabels are the categories in Swedish, in the order the report lists them.
var emergingLabels = []struct {
	cat   risk.EmergingCategory
	label string
}{
	{risk.NewHotSpot, "ny brännpunkt"}, {risk.ConsecutiveHot, "sammanhängande brännpunkt"},
	{risk.IntensifyingHot, "intensifierad brännpunkt"}, {risk.PersistentHot, "ihållande brännpunkt"},
	{risk.DiminishingHot, "avtagande brännpunkt"}, {risk.SporadicHot, "sporadisk brännpunkt"},
	{risk.OscillatingHot, "oscillerande brännpunkt"}, {risk.HistoricalHot, "historisk brännpunkt"},
	{risk.NewColdSpot, "ny kall fläck"}, {risk.ConsecutiveCold, "sammanhängande kall fläck"},
	{risk.IntensifyingCold, "intensifierad kall fläck"}, {risk.PersistentCold, "ihållande kall fläck"},
	{risk.DiminishingCold, "avtagande kall fläck"}, {risk.SporadicCold, "sporadisk kall fläck"},
	{risk.OscillatingCold, "oscillerande kall fläck"}, {risk.HistoricalCold, "historisk kall fläck"},
	{risk.NoPattern, "inget mönster"},
}

type categoryRow struct {
	Label string
	Cells int
}

type analysesData struct {
	Profile  *analysis.TimeProfile
	Hours    []int
	Emerging *analysis.Emerging
	Rows     []categoryRow
}

var analysesPage = template.Must(template.New("analyses").Funcs(template.FuncMap{
	"slot": func(v *int) string {
		if v == nil {
			return "–"
		}
		return fmtNum(float64(*v))
	},
	"dec": func(n int) int { return n - 1 },
}).Parse(`{{with .Profile}}<h2>Veckodag och timme</h2>
<table class="profile">
<tr><th>Dag</th>{{range $.Hours}}<th>{{.}}</th>{{end}}</tr>
{{range $i, $row := .Total.Counts}}<tr><td>{{index $.Profile.Weekdays $i}}</td>{{range $row}}<td>{{slot .}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">Alla brottsgrupper med exakt position, {{.Period.From}} – {{.Period.To}}, per veckodag och timme (svensk tid), för
planering av pass och patrullering. ”–”: {{.Hidden}}. Tidpunkten är den registrerade, för vissa brott (inbrott) upptäcktstiden.</p>{{end}}
{{with .Emerging}}<h2>Framväxande brännpunkter</h2>
{{if .Reason}}<p>– ({{.Reason}})</p>{{else}}<p>Områdets {{.AreaCells}} H3-celler (upplösning {{.Resolution}}) efter mönster i Gi* per månad
över kommunens rutnät, {{index .Months 0}} – {{index .Months (len .Months | dec)}}, och Mann-Kendall på cellens z-värden (Emerging Hot Spot Analysis):</p>
<table><tr><th>Kategori</th><th>Celler</th></tr>
{{range $.Rows}}<tr><td>{{.Label}}</td><td>{{.Cells}}</td></tr>
{{end}}</table>
<p class="note">Alla brottsgrupper tillsammans; inga antal per cell. Kategorierna följer ArcGIS (se docs/risk-model.md); en cell är
brännpunkt en månad när den är signifikant på 90 % efter Benjamini–Hochberg.</p>{{end}}{{end}}
`))

// analysesSection renders the time profile and the emerging hot spots of the report's area
// and period; empty without an AnalysisService.
func (s *Server) analysesSection(r *http.Request, sm *summary.Summary) template.HTML {
	if s.Analysis == nil {
		return ""
	}
	from, _ := time.Parse(time.DateOnly, sm.Period.From)
	to, _ := time.Parse(time.DateOnly, sm.Period.To)
	logErr := func(what string, err error) {
		s.Logger.Error("report: "+what, "area", sm.Area.ID, "error", err.Error(), "request_id", middleware.GetReqID(r.Context()))
	}
	var d analysesData
	for h := range 24 {
		d.Hours = append(d.Hours, h)
	}
	tp, err := s.Analysis.TimeProfile(r.Context(), sm.Area.ID, analysis.Query{From: &from, To: &to})
	if err != nil {
		logErr("time profile", err)
	} else {
		d.Profile = tp
	}
	em, err := s.Analysis.AreaEmerging(r.Context(), sm.Area.ID, analysis.EmergingQuery{To: &to})
	if err != nil {
		logErr("emerging hot spots", err)
	} else if len(em.Months) > 0 || em.Reason != "" {
		d.Emerging = em
		for _, l := range emergingLabels {
			if n := em.Categories[l.cat]; n > 0 {
				d.Rows = append(d.Rows, categoryRow{l.label, n})
			}
		}
	}
	var b strings.Builder
	if err := analysesPage.Execute(&b, d); err != nil {
		logErr("analyses section", err)
		return ""
	}
	return template.HTML(b.String())
}
