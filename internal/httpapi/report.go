package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/lagesbild/lagesbild/internal/summary"
)

// reportPage is the printable report of one area: the summary in Swedish with the
// suppression notes, and an inline SVG of the monthly totals.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ind":         indText,
	"num":         numText,
	"trend":       trendText,
	"chg":         changeText,
	"pct":         pctText,
	"share":       shareText,
	"cmp":         comparisonText,
	"presetLabel": presetLabel,
}).Parse(reportHTML))

// comparisonText is a CompStat comparison as the report shows it: the other period's count,
// the change and the verdict.
func comparisonText(c summary.PeriodComparison) string {
	if c.Suppressed {
		return indText(c.Count) + " – " + c.VerdictText
	}
	out := indText(c.Count)
	if c.Percent.Value != nil {
		out += fmt.Sprintf(" (%+.0f %%)", *c.Percent.Value)
	}
	return out + ": " + c.VerdictText
}

func presetLabel(p string) string {
	switch p {
	case summary.PresetPeriod:
		return "Rapportens period"
	case summary.Preset28d:
		return "Senaste 28 dagarna"
	case summary.Preset3m:
		return "Senaste 3 månaderna"
	case summary.PresetYTD:
		return "Hittills i år"
	}
	return p
}

const reportHTML = `<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<title>Lägesbild för {{.S.Area.Name}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; max-width: 60rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.meta { color: #444; margin-top: 0; }
.synthetic { border: 2px solid #b00; color: #b00; padding: .4rem .8rem; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0; font-size: .9rem; }
th, td { border-bottom: 1px solid #ccc; padding: .25rem .4rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: .85rem; }
svg { width: 100%; height: auto; }
table.profile { font-size: .7rem; }
@media print {
  body { margin: 0; max-width: none; }
  .noprint { display: none; }
  table, svg { page-break-inside: avoid; }
}
</style>
</head>
<body>
<h1>Lägesbild för {{.S.Area.Name}}</h1>
<p class="meta">{{.S.Area.KommunName}} · lista {{.S.Area.Set}} · klass {{.S.Area.Class}} · period {{.S.Period.From}} – {{.S.Period.To}}
(jämförs med {{.S.Previous.From}} – {{.S.Previous.To}})</p>
{{if .S.Provenance.Synthetic}}<p class="synthetic">Syntetiska demodata: siffrorna i rapporten är genererade och beskriver inte verkligheten.</p>{{end}}
<p>Invånare: {{if .S.Population.Value}}{{.S.Population.Value}} (avrundat till 10{{if .S.Population.Estimated}}, uppskattat{{end}}){{else}}– ({{.S.Population.Reason}}){{end}}</p>

<h2>Händelser per brottsgrupp</h2>
<table>
<tr><th>Grupp</th><th>Antal</th><th>Föregående period</th><th>Per 1 000 inv. (95 % KI)</th><th>Utjämnad takt</th><th>Kvot mot övriga kommunen</th><th>Lokaliseringskvot</th><th>Förändring</th><th>Trend (Mann-Kendall Z)</th></tr>
{{range .Rows}}<tr><td>{{.Label}}</td><td>{{ind .Count}}</td><td>{{ind .PreviousCount}}</td><td>{{ind .Rate}}</td><td>{{ind .SmoothedRate}}</td><td>{{ind .RateRatio}}</td><td>{{ind .LocationQuotient}}</td><td>{{chg .Change}}</td><td>{{trend .Trend}}</td></tr>
{{end}}</table>
{{if .S.SensitiveGroups}}<p class="note">Känsliga grupper ({{range $i, $g := .S.SensitiveGroups}}{{if $i}}, {{end}}{{$g}}{{end}}) ingår bara i totalen.</p>{{end}}

{{if .S.Comparisons}}<h2>Jämförelser (CompStat)</h2>
<table>
<tr><th>Period</th><th>Antal</th><th>Mot föregående period</th><th>Mot samma period i fjol</th></tr>
{{range .S.Comparisons}}<tr><td>{{presetLabel .Preset}} ({{.Current.From}} – {{.Current.To}})</td><td>{{ind .Total.Count}}</td><td>{{cmp .Total.Previous}}</td><td>{{cmp .Total.LastYear}}</td></tr>
{{end}}</table>
<p class="note">Alla brottsgrupper tillsammans. Exakt test för två Poissonantal som tar hänsyn till periodernas längd; statistiskt säkerställd betyder p &lt; 0,05.
Ingen bedömning görs vid färre än 10 händelser i de två perioderna tillsammans.</p>{{end}}

<h2>Händelser per månad</h2>
{{.Chart}}

<h2>Brännpunkter</h2>
<p>Andel av områdets {{.S.HotSpots.AreaCells}} H3-celler (upplösning {{.S.HotSpots.Resolution}}) som är signifikanta brännpunkter
enligt Getis-Ord Gi* över kommunens {{.S.HotSpots.KommunCells}} celler (Benjamini–Hochberg):
90 %: {{pct .S.HotSpots.Share90}}, 95 %: {{pct .S.HotSpots.Share95}}, 99 %: {{pct .S.HotSpots.Share99}}{{if .S.HotSpots.Reason}} ({{.S.HotSpots.Reason}}){{end}}.</p>
{{if .S.HotSpots.Groups}}<table>
<tr><th>Grupp</th><th>Brännpunkt 90 %</th><th>95 %</th><th>99 %</th></tr>
<tr><td>Totalt</td>{{if .S.HotSpots.Reason}}<td colspan="3">– ({{.S.HotSpots.Reason}})</td>{{else}}<td>{{pct .S.HotSpots.Share90}}</td><td>{{pct .S.HotSpots.Share95}}</td><td>{{pct .S.HotSpots.Share99}}</td>{{end}}</tr>
{{range .S.HotSpots.Groups}}<tr><td>{{.Label}}</td>{{if .Share95.Value}}<td>{{share .Share90}}</td><td>{{share .Share95}}</td><td>{{share .Share99}}</td>{{else}}<td colspan="3">– ({{.Share95.Reason}})</td>{{end}}</tr>
{{end}}</table>
<p class="note">Per brottsgrupp körs Gi* på samma celler med bara gruppens händelser. Andelen visas inte när gruppen har färre än 10 händelser
i området eller i kommunen{{if .S.SensitiveGroups}}; känsliga grupper ingår bara i totalen{{end}}.</p>{{end}}

<h2>Myndighetsnärvaro</h2>
<table>
<tr><th>Myndighet</th><th>Kontor inom {{num .S.Presence.OfficeDistanceM}} m</th><th>Insats</th></tr>
{{range .S.Presence.Agencies}}<tr><td>{{.Name}}</td><td>{{if .Office}}ja{{else}}–{{end}}</td><td>{{if .Operation}}ja{{else}}–{{end}}</td></tr>
{{end}}</table>
<p>Bemannade kontorstimmar per vecka per 1 000 invånare: {{ind .S.Presence.StaffedHours}}.
Insatstimmar under perioden per 1 000 invånare: {{ind .S.Presence.OperationHours}}.
{{if .S.Presence.LastOperation}}Senaste insats: {{.S.Presence.LastOperation}} ({{.S.Presence.DaysSinceLastOperation}} dagar före periodens slut).{{end}}</p>

{{.Joint}}
{{if .S.History}}<h2>Klassning över tid</h2>
<table><tr><th>Lista</th><th>Område</th><th>Klass (Polisen)</th></tr>
{{range .S.History}}<tr><td>{{.Year}}</td><td>{{.Name}} ({{.AreaID}})</td><td>{{.ClassPolisen}}</td></tr>
{{end}}</table>{{end}}

{{.Analyses}}
{{.Effects}}
<h2>Om uppgifterna</h2>
<ul class="note">
{{range .S.Notes}}<li>{{.}}</li>
{{end}}<li>Källor: {{range $i, $s := .S.Provenance.Sources}}{{if $i}}, {{end}}{{$s}}{{end}}; ägande myndigheter: {{range $i, $s := .S.Provenance.Agencies}}{{if $i}}, {{end}}{{$s}}{{end}}.</li>
<li>”–” betyder att uppgiften inte visas; skälet står inom parentes.</li>
</ul>
</body>
</html>
`

type reportData struct {
	S     *summary.Summary
	Rows  []summary.GroupSummary
	Chart template.HTML
	// Effects is the effect follow-up of the area's operations (analysis_report.go).
	Effects template.HTML
	// Analyses are the time profile and the emerging hot spots (report_analyses.go).
	Analyses template.HTML
	// Joint is the observations the caller may see (samverkan_report.go).
	Joint template.HTML
}

func (s *Server) handleAreaReport(w http.ResponseWriter, r *http.Request) error {
	sm, err := s.areaSummary(r)
	if err != nil {
		return err
	}
	var b strings.Builder
	d := reportData{S: sm, Rows: append([]summary.GroupSummary{sm.Total}, sm.Groups...), Chart: monthlyChart(sm.Monthly),
		Effects: s.effectSection(r, sm.Area.ID), Analyses: s.analysesSection(r, sm)}
	if d.Joint, err = s.jointSection(w, r, sm); err != nil {
		return err
	}
	if err := reportPage.Execute(&b, d); err != nil {
		return fmt.Errorf("httpapi: report: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
	return nil
}

func fmtNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return strings.Replace(s, ".", ",", 1)
}

func numText(v float64) string { return fmtNum(v) }

func indText(i summary.Indicator) string {
	if i.Value == nil {
		if i.Reason != "" {
			return "– (" + i.Reason + ")"
		}
		return "–"
	}
	s := fmtNum(*i.Value)
	if i.Lower != nil && i.Upper != nil {
		s += " (" + fmtNum(*i.Lower) + "–" + fmtNum(*i.Upper) + ")"
	}
	return s
}

func pctText(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmtNum(100*(*v)) + " %"
}

// shareText shows a share indicator as a percentage, or why it is withheld.
func shareText(i summary.Indicator) string {
	if i.Value == nil {
		return indText(i)
	}
	return pctText(i.Value)
}

func trendText(t summary.Trend) string {
	if t.Z == nil {
		return "– (" + t.Reason + ")"
	}
	s := fmtNum(*t.Z)
	if t.Significant != nil && *t.Significant {
		s += " *"
	}
	return s
}

func changeText(c summary.Change) string {
	if c.Suppressed {
		return "– (" + c.Reason + ")"
	}
	s := indText(c.Difference)
	if c.Percent.Value != nil {
		s += " (" + fmtNum(*c.Percent.Value) + " %)"
	}
	if c.Significant != nil && *c.Significant {
		s += " *"
	}
	return s
}

// monthlyChart draws the monthly totals as bars; a hidden month is drawn as a grey outline of
// no particular height, so the chart reveals nothing the table does not.
func monthlyChart(points []summary.MonthPoint) template.HTML {
	const w, h, pad = 720.0, 200.0, 24.0
	if len(points) == 0 {
		return ""
	}
	maxV := 1.0
	for _, p := range points {
		if p.Count.Value != nil && *p.Count.Value > maxV {
			maxV = *p.Count.Value
		}
	}
	bw := (w - 2*pad) / float64(len(points))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" role="img" aria-label="Händelser per månad">`, w, h+pad)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#333"/>`, pad, h, w-pad, h)
	for i, p := range points {
		x := pad + float64(i)*bw + 1
		if p.Count.Value == nil {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999" stroke-dasharray="3 2"><title>%s: dold</title></rect>`,
				x, h-20, bw-2, 20.0, template.HTMLEscapeString(p.Month))
		} else {
			bh := (h - pad) * *p.Count.Value / maxV
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2b5d8a"><title>%s: %s</title></rect>`,
				x, h-bh, bw-2, bh, template.HTMLEscapeString(p.Month), fmtNum(*p.Count.Value))
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="10">%s</text>`, x, h+14, template.HTMLEscapeString(p.Month))
		}
	}
	fmt.Fprintf(&b, `<text x="%g" y="12" font-size="10">max %s</text></svg>`, pad, fmtNum(maxV))
	return template.HTML(b.String())
}
