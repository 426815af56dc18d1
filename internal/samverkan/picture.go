package samverkan

import (
	"sort"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// CategoryCount is one category of a contribution; Count is nil when suppressed.
type CategoryCount struct {
	Category   string `json:"category"`
	Label      string `json:"label"`
	Count      *int   `json:"count"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// Contribution is what one agency contributes to a picture under one basis: its own data (the
// caller's agency) or a decision. Counts sum the records (1 each unless given) and the
// indicators' values. Counts of 1–4 are suppressed, with the secondary suppression that keeps
// them from being recovered by subtraction; sensitive categories count only in the total.
type Contribution struct {
	Agency       string          `json:"agency"`
	AgencyName   string          `json:"agency_name"`
	Decision     string          `json:"decision,omitempty"` // empty: the caller's own agency
	DecisionName string          `json:"decision_name,omitempty"`
	Basis        string          `json:"basis"` // "Egen myndighet" or "Delat enligt samverkansbeslut …"
	Total        *int            `json:"total"`
	Suppressed   bool            `json:"suppressed,omitempty"`
	Categories   []CategoryCount `json:"categories"`
	Synthetic    bool            `json:"synthetic"`
}

// Picture is the observations part of a joint lägesbild.
type Picture struct {
	Contributions []Contribution `json:"contributions"`
	Note          string         `json:"note"`
}

// pictureNote says what the numbers are, as the reports and summaries show it.
const pictureNote = "Observationer från myndigheterna: egna och de som delas enligt ett gällande samverkansbeslut som omfattar platsen. " +
	"Antal 1–4 visas inte; känsliga kategorier ingår endast i totalen."

// BuildPicture groups visible rows by agency and basis into suppressed contributions.
func BuildPicture(rows []lagesbild.ObservationRow, v Visibility) Picture {
	type key struct{ agency, decision string }
	type acc struct {
		total     int
		cats      map[string]int
		labels    map[string]string
		sensitive map[string]bool
		synthetic bool
	}
	groups := map[key]*acc{}
	for _, o := range rows {
		dec, ok := v.Allows(o)
		if !ok {
			continue
		}
		k := key{o.Agency, dec}
		a := groups[k]
		if a == nil {
			a = &acc{cats: map[string]int{}, labels: map[string]string{}, sensitive: map[string]bool{}}
			groups[k] = a
		}
		a.total += o.Value
		a.cats[o.Category] += o.Value
		a.labels[o.Category] = o.CategoryLabel
		a.sensitive[o.Category] = a.sensitive[o.Category] || o.Sensitive
		a.synthetic = a.synthetic || o.Synthetic
	}
	names := map[string]string{}
	for _, d := range v.Decisions {
		names[d.ID] = d.Name
	}
	out := Picture{Note: pictureNote, Contributions: []Contribution{}}
	for k, a := range groups {
		c := Contribution{Agency: k.agency, AgencyName: lagesbild.AgencyName(k.agency), Decision: k.decision,
			DecisionName: names[k.decision], Synthetic: a.synthetic, Categories: []CategoryCount{}}
		c.Basis = "Egen myndighet"
		if k.decision != "" {
			c.Basis = "Delat enligt samverkansbeslut " + k.decision
		}
		codes := make([]string, 0, len(a.cats))
		for code := range a.cats {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		parts := make([]int, len(codes))
		hidden := make([]bool, len(codes))
		for i, code := range codes {
			parts[i] = a.cats[code]
			_, small := risk.SuppressCount(parts[i])
			hidden[i] = small || a.sensitive[code]
		}
		sup, err := risk.SecondarySuppress(a.total, parts, hidden)
		if err != nil {
			sup = risk.Suppression{Total: true, Parts: make([]bool, len(codes))}
			for i := range sup.Parts {
				sup.Parts[i] = true
			}
		}
		if _, small := risk.SuppressCount(a.total); small || sup.Total {
			c.Suppressed = true
		} else {
			n := a.total
			c.Total = &n
		}
		for i, code := range codes {
			if a.sensitive[code] {
				continue // only in the total
			}
			cc := CategoryCount{Category: code, Label: a.labels[code]}
			if sup.Parts[i] || c.Suppressed {
				cc.Suppressed = true
			} else {
				n := parts[i]
				cc.Count = &n
			}
			c.Categories = append(c.Categories, cc)
		}
		out.Contributions = append(out.Contributions, c)
	}
	sort.Slice(out.Contributions, func(i, j int) bool {
		a, b := out.Contributions[i], out.Contributions[j]
		if (a.Decision == "") != (b.Decision == "") {
			return a.Decision == ""
		}
		if a.Agency != b.Agency {
			return a.Agency < b.Agency
		}
		return a.Decision < b.Decision
	})
	return out
}

// ListedValue is the value of an observation as a listing shows it: the caller's own agency's
// as stored; another agency's single record (value 1) as it is, since sharing the record is
// what the decision allows; but another agency's count of 1–4 (an indicator, or a record that
// counts several) is a small count, so nil.
func ListedValue(o lagesbild.ObservationRow, own bool) *int {
	v := o.Value
	if own || (o.Kind == lagesbild.ObservationRecord && v == 1) {
		return &v
	}
	shown, _ := risk.SuppressCount(v)
	return shown
}
