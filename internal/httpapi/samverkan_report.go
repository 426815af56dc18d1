package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// The joint picture beside the police's incidents and the agencies' presence: the observations
// the caller may see in the area summary, the ranking and the printable report, each labelled
// with its owner and the decision it is shared under. These reads are never cached (the
// summary lists are; the observations are added per request), so a decision that expires or is
// revoked is gone from the next response.

// periodQuery turns a summary period (YYYY-MM-DD, both inclusive) into an observation query.
func periodQuery(p summary.PeriodJSON, areaID string) lagesbild.ObservationQuery {
	q := lagesbild.ObservationQuery{AreaID: areaID, Limit: 200000}
	if from, err := time.ParseInLocation(time.DateOnly, p.From, swedish()); err == nil {
		q.From = &from
	}
	if to, err := time.ParseInLocation(time.DateOnly, p.To, swedish()); err == nil {
		end := to.AddDate(0, 0, 1)
		q.To = &end
	}
	return q
}

// swedish is Swedish time, loaded once (time/tzdata is linked in by internal/samverkan).
var swedish = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Stockholm"); err == nil {
		return loc
	}
	return time.UTC
})

// jointSummary is an area summary with the observations the caller may see.
type jointSummary struct {
	*summary.Summary
	Observations *samverkan.Picture `json:"observations,omitempty"`
}

// withObservations adds the joint picture to an area summary (nil when the caller reads none).
func (s *Server) withObservations(w http.ResponseWriter, r *http.Request, sm *summary.Summary) (any, error) {
	pic, err := s.joinedPicture(r, periodQuery(sm.Period, sm.Area.ID))
	if err != nil || pic == nil {
		return sm, err
	}
	privateNoStore(w)
	return jointSummary{Summary: sm, Observations: pic}, nil
}

// jointPriority is the ranking with each listed area's observations beside it.
type jointPriority struct {
	*summary.Priority
	Observations map[string]samverkan.Picture `json:"observations,omitempty"`
}

// withRankingObservations adds, per listed area, the observations the caller may see.
func (s *Server) withRankingObservations(w http.ResponseWriter, r *http.Request, pr *summary.Priority) (any, error) {
	if s.Samverkan == nil || !identity(r).CanReadObservations() {
		return pr, nil
	}
	privateNoStore(w)
	q := periodQuery(pr.Period, "")
	q.Region = pr.Region
	rd, err := s.Samverkan.Observations(r.Context(), q)
	if err != nil {
		return nil, err
	}
	out := jointPriority{Priority: pr, Observations: map[string]samverkan.Picture{}}
	var used []lagesbild.ObservationRow
	for _, a := range pr.Areas {
		var rows []lagesbild.ObservationRow
		for _, o := range rd.Rows {
			if slices.Contains(o.AreaIDs, a.Area.ID) {
				rows = append(rows, o)
			}
		}
		if len(rows) == 0 {
			continue
		}
		used = append(used, rows...)
		out.Observations[a.Area.ID] = samverkan.BuildPicture(rows, rd.Visibility)
	}
	slices.SortFunc(used, func(a, b lagesbild.ObservationRow) int { return int(a.ID - b.ID) })
	used = slices.CompactFunc(used, func(a, b lagesbild.ObservationRow) bool { return a.ID == b.ID })
	noteDisclosures(r, disclosedOf(used, rd.Visibility))
	return out, nil
}

// jointSection is the report's "Myndigheternas observationer" section, empty for a caller who
// reads no observations.
func (s *Server) jointSection(w http.ResponseWriter, r *http.Request, sm *summary.Summary) (template.HTML, error) {
	pic, err := s.joinedPicture(r, periodQuery(sm.Period, sm.Area.ID))
	if err != nil || pic == nil {
		return "", err
	}
	privateNoStore(w)
	return pictureHTML(*pic), nil
}

func countText(n *int) string {
	if n == nil {
		return "– (färre än 5)"
	}
	return fmt.Sprint(*n)
}

// pictureHTML renders a joint picture as a table per contribution.
func pictureHTML(p samverkan.Picture) template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	b.WriteString("<h2>Myndigheternas observationer</h2>\n")
	if len(p.Contributions) == 0 {
		b.WriteString("<p>Inga observationer som du får se under perioden.</p>\n")
	} else {
		b.WriteString("<table>\n<tr><th>Myndighet</th><th>Grund</th><th>Kategori</th><th>Antal</th></tr>\n")
		for _, c := range p.Contributions {
			label := esc(c.Basis)
			if c.DecisionName != "" {
				label += " (" + esc(c.DecisionName) + ")"
			}
			if c.Synthetic {
				label += " <em>syntetiska uppgifter</em>"
			}
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>Totalt</td><td>%s</td></tr>\n", esc(c.AgencyName), label, countText(c.Total))
			for _, cat := range c.Categories {
				fmt.Fprintf(&b, "<tr><td></td><td></td><td>%s</td><td>%s</td></tr>\n", esc(cat.Label), countText(cat.Count))
			}
		}
		b.WriteString("</table>\n")
	}
	fmt.Fprintf(&b, "<p class=\"note\">%s Läsningen av andra myndigheters uppgifter är loggad med det samverkansbeslut som tillåter den.</p>\n", esc(p.Note))
	return template.HTML(b.String())
}
