package ingest

import (
	"bufio"
	_ "embed"
	"io"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// taxonomyTSV is the bundled mapping; docs/taxonomy.md explains the groups.
//
//go:embed taxonomy.tsv
var taxonomyTSV string

// TaxonomyEntry is one row of a taxonomy: a category as a source writes it and its group.
type TaxonomyEntry struct {
	Category string // exactly as in the file, trailing space included
	Group    lagesbild.CategoryGroup
	Origin   string // "polisen" (an events API type) or "agency" (an agency system's category)
	Note     string
}

// Taxonomy maps incident categories to analysis groups. It is read-only after it is built and
// safe for concurrent use.
type Taxonomy struct {
	entries []TaxonomyEntry
	byKey   map[string]lagesbild.CategoryGroup // normalised category → group
	exact   map[string]lagesbild.CategoryGroup // category exactly as in the file: no allocation on the hot path
}

// LoadTaxonomy returns the bundled taxonomy (internal/ingest/taxonomy.tsv).
func LoadTaxonomy() (*Taxonomy, error) {
	return ParseTaxonomy(strings.NewReader(taxonomyTSV), "taxonomy.tsv")
}

// ParseTaxonomy reads a taxonomy TSV: a header "category, group, origin, note" (origin and
// note optional), '#' comment lines, one category per line. Two categories that match the same
// way (case and white space ignored) must map to the same group.
func ParseTaxonomy(r io.Reader, file string) (*Taxonomy, error) {
	t := &Taxonomy{byKey: map[string]lagesbild.CategoryGroup{}, exact: map[string]lagesbild.CategoryGroup{}}
	sc := bufio.NewScanner(r)
	line, header := 0, false
	for sc.Scan() {
		line++
		s := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, "\t")
		if !header {
			if strings.TrimSpace(f[0]) != "category" || len(f) < 2 || strings.TrimSpace(f[1]) != "group" {
				return nil, fatalf(file, line, "", "header must start with category<TAB>group")
			}
			header = true
			continue
		}
		if len(f) < 2 {
			return nil, fatalf(file, line, "group", "missing")
		}
		// The category is kept as written: the API's "Lagen om hundar och katter " has a
		// meaningful trailing space that the reference list records.
		e := TaxonomyEntry{Category: f[0], Group: lagesbild.CategoryGroup(strings.TrimSpace(f[1]))}
		if len(f) > 2 {
			e.Origin = strings.TrimSpace(f[2])
		}
		if len(f) > 3 {
			e.Note = strings.TrimSpace(f[3])
		}
		key := categoryKey(e.Category)
		if key == "" {
			return nil, fatalf(file, line, "category", "is empty")
		}
		if !isGroup(e.Group) {
			return nil, fatalf(file, line, "group", "%q is not a group code", e.Group)
		}
		if old, ok := t.byKey[key]; ok && old != e.Group {
			return nil, fatalf(file, line, "category", "%q is already mapped to %s", e.Category, old)
		}
		t.byKey[key] = e.Group
		t.exact[e.Category] = e.Group
		t.entries = append(t.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, ioError(file, err)
	}
	if !header {
		return nil, fatalf(file, 1, "", "no header row")
	}
	return t, nil
}

// Lookup returns the group of a category, matched without regard to letter case, surrounding
// white space or runs of spaces. An unknown category returns lagesbild.GroupOvrigt and known
// false, so the caller can count it. A nil Taxonomy knows nothing.
func (t *Taxonomy) Lookup(category string) (group lagesbild.CategoryGroup, known bool) {
	if t == nil {
		return lagesbild.GroupOvrigt, false
	}
	if g, ok := t.exact[category]; ok {
		return g, true
	}
	if g, ok := t.byKey[categoryKey(category)]; ok {
		return g, true
	}
	return lagesbild.GroupOvrigt, false
}

// Entries returns the rows of the taxonomy in file order.
func (t *Taxonomy) Entries() []TaxonomyEntry {
	if t == nil {
		return nil
	}
	return append([]TaxonomyEntry(nil), t.entries...)
}

// categoryKey is the matching form of a category: lower case, white space squeezed, decomposed
// å, ä, ö composed.
func categoryKey(s string) string {
	return strings.Join(strings.Fields(composeSwedish(strings.ToLower(s))), " ")
}

// isGroup reports whether g is one of the analysis groups.
func isGroup(g lagesbild.CategoryGroup) bool {
	for _, cg := range lagesbild.CategoryGroups {
		if cg.Group == g {
			return true
		}
	}
	return false
}

// categorizer groups the categories of one reader's records and counts the unknown ones, for
// IncidentReader.UnknownTypes. It remembers the categories it has seen, so that a file with a
// category in lower case or an unknown one does not pay for normalising it on every row.
type categorizer struct {
	tax     *Taxonomy
	seen    map[string]lagesbild.CategoryGroup // known categories as written
	unknown map[string]int
}

// maxSeen bounds the memo: a file with a million distinct categories is broken, not a reason to
// hold them all.
const maxSeen = 4096

// maxUnknown bounds the unknown categories counted by name (in memory and in the import
// report); past it they are counted together under OtherUnknown.
const maxUnknown = 1000

// OtherUnknown is the key of the unknown categories past the first maxUnknown.
const OtherUnknown = "(other unknown categories)"

func newCategorizer(t *Taxonomy) categorizer {
	return categorizer{tax: t, seen: map[string]lagesbild.CategoryGroup{}, unknown: map[string]int{}}
}

// group returns the group of category and counts it when unknown.
func (c *categorizer) group(category string) lagesbild.CategoryGroup {
	if g, ok := c.seen[category]; ok {
		return g
	}
	if n, ok := c.unknown[category]; ok {
		c.unknown[category] = n + 1
		return lagesbild.GroupOvrigt
	}
	g, known := c.tax.Lookup(category)
	switch {
	case !known && len(c.unknown) >= maxUnknown:
		c.unknown[OtherUnknown]++
	case !known:
		c.unknown[category] = 1
	case len(c.seen) < maxSeen:
		c.seen[category] = g
	}
	return g
}

// unknownTypes returns a copy of the unknown counts.
func (c *categorizer) unknownTypes() map[string]int {
	m := make(map[string]int, len(c.unknown))
	for k, v := range c.unknown {
		m[k] = v
	}
	return m
}
