package ingest

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

func testTaxonomy(t testing.TB) *Taxonomy {
	t.Helper()
	tax, err := LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

// TestTaxonomyCoversEveryPolisenType checks the bundled taxonomy against a copy of
// shared/reference/polisen-event-types.tsv (all 109 API type strings, exactly as written).
func TestTaxonomyCoversEveryPolisenType(t *testing.T) {
	tax := testTaxonomy(t)
	inFile := map[string]bool{}
	for _, e := range tax.Entries() {
		if e.Origin == "polisen" {
			inFile[e.Category] = true
		}
	}
	f, err := os.Open("testdata/polisen-event-types.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		typ := strings.SplitN(sc.Text(), "\t", 2)[0]
		n++
		if !inFile[typ] {
			t.Errorf("type %q is not in taxonomy.tsv with origin polisen", typ)
		}
		if _, known := tax.Lookup(typ); !known {
			t.Errorf("Lookup(%q) is unknown", typ)
		}
		delete(inFile, typ)
	}
	if n != 109 {
		t.Errorf("reference list has %d types, want 109", n)
	}
	for typ := range inFile {
		t.Errorf("taxonomy.tsv has polisen type %q that the reference list lacks", typ)
	}
}

func TestTaxonomyLookup(t *testing.T) {
	tax := testTaxonomy(t)
	for _, c := range []struct {
		category string
		want     lagesbild.CategoryGroup
		known    bool
	}{
		{"Skottlossning", lagesbild.GroupSkjutning, true},
		{"Skottlossning, misstänkt", lagesbild.GroupSkjutning, true},
		{"Explosion", lagesbild.GroupSprangning, true},
		{"Detonation", lagesbild.GroupSprangning, true},
		{"Mord/dråp", lagesbild.GroupGrovtVald, true},
		{"Mord/dråp, försök", lagesbild.GroupGrovtVald, true},
		{"Misshandel", lagesbild.GroupMisshandelHot, true},
		{"Misshandel, grov", lagesbild.GroupMisshandelHot, true},
		{"Olaga hot", lagesbild.GroupMisshandelHot, true},
		{"Rån", lagesbild.GroupRan, true},
		{"Rån väpnat", lagesbild.GroupRan, true},
		{"Rån övrigt", lagesbild.GroupRan, true},
		{"Narkotikabrott", lagesbild.GroupNarkotika, true},
		{"Brand", lagesbild.GroupBrandSkadegorelse, true},
		{"Skadegörelse", lagesbild.GroupBrandSkadegorelse, true},
		{"Mordbrand", lagesbild.GroupBrandSkadegorelse, true},
		{"Stöld", lagesbild.GroupStoldInbrott, true},
		{"Inbrott", lagesbild.GroupStoldInbrott, true},
		{"Stöld/inbrott", lagesbild.GroupStoldInbrott, true},
		{"Bedrägeri", lagesbild.GroupBedrageriValfard, true},
		{"Trafikolycka", lagesbild.GroupOvrigt, true},
		{"Sammanfattning natt", lagesbild.GroupOvrigt, true},
		{"Övrigt", lagesbild.GroupOvrigt, true},
		// matching: case, white space, the API's trailing space, decomposed letters
		{"SKOTTLOSSNING", lagesbild.GroupSkjutning, true},
		{"  skottlossning ", lagesbild.GroupSkjutning, true},
		{"Trafikolycka,  personskada", lagesbild.GroupOvrigt, true},
		{"Mord/dråp,  försök", lagesbild.GroupGrovtVald, true},
		{"Lagen om hundar och katter ", lagesbild.GroupOvrigt, true},
		{"larm överfall", lagesbild.GroupOvrigt, true},
		{"Ra\u030an", lagesbild.GroupRan, true},
		// agency categories
		{"skjutning", lagesbild.GroupSkjutning, true},
		{"sprängning", lagesbild.GroupSprangning, true},
		{"bilbrand", lagesbild.GroupBrandSkadegorelse, true},
		{"bidragsbrott", lagesbild.GroupBedrageriValfard, true},
		{"narkotikabrott", lagesbild.GroupNarkotika, true},
		{"vapenbrott", lagesbild.GroupOvrigt, true},
		{"övergrepp i rättssak", lagesbild.GroupOvergreppRattssak, true},
		{"overgrepp_rattssak", lagesbild.GroupOvergreppRattssak, true},
		{"Bedrägeri/välfärdsbrott", lagesbild.GroupBedrageriValfard, true},
		// unknown
		{"Pressmeddelande", lagesbild.GroupOvrigt, false},
		{"", lagesbild.GroupOvrigt, false},
		{"HäleriInbrott", lagesbild.GroupOvrigt, false},
	} {
		g, known := tax.Lookup(c.category)
		if g != c.want || known != c.known {
			t.Errorf("Lookup(%q) = %s %v, want %s %v", c.category, g, known, c.want, c.known)
		}
	}
}

func TestTaxonomyEveryGroupHasItsCode(t *testing.T) {
	tax := testTaxonomy(t)
	for _, cg := range lagesbild.CategoryGroups {
		for _, s := range []string{string(cg.Group), cg.Label} {
			if g, known := tax.Lookup(s); !known || g != cg.Group {
				t.Errorf("Lookup(%q) = %s %v, want %s", s, g, known, cg.Group)
			}
		}
	}
}

func TestParseTaxonomyErrors(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"no header", "Rån\tran\n", "t.tsv:1: header must start"},
		{"empty", "", "t.tsv:1: no header row"},
		{"bad group", "category\tgroup\nRån\trobbery\n", "t.tsv:2: group: \"robbery\" is not a group code"},
		{"conflict", "category\tgroup\nRån\tran\nRÅN \tovrigt\n", "t.tsv:3: category: \"RÅN \" is already mapped to ran"},
		{"missing group", "category\tgroup\nRån\n", "t.tsv:2: group: missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTaxonomy(strings.NewReader(c.in), "t.tsv")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	var nilT *Taxonomy
	if g, known := nilT.Lookup("Rån"); g != lagesbild.GroupOvrigt || known {
		t.Errorf("nil taxonomy Lookup = %s %v", g, known)
	}
}

// TestCategorizerBoundsUnknown: a file of endless distinct unknown categories keeps the count
// (and the import report) bounded: past maxUnknown names they are counted together.
func TestCategorizerBoundsUnknown(t *testing.T) {
	c := newCategorizer(testTaxonomy(t))
	const n = maxUnknown + 500
	for i := range n {
		if g := c.group("okänd kategori " + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)); g != lagesbild.GroupOvrigt {
			t.Fatalf("unknown category in group %s", g)
		}
	}
	u := c.unknownTypes()
	total := 0
	for _, v := range u {
		total += v
	}
	if len(u) != maxUnknown+1 || u[OtherUnknown] != n-maxUnknown || total != n {
		t.Errorf("%d names, %d under %q, %d counted; want %d, %d, %d", len(u), u[OtherUnknown], OtherUnknown, total, maxUnknown+1, n-maxUnknown, n)
	}
}
