package demo

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/ingest"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// These tests hold the demo to the import path it feeds: its categories must map to the groups
// it claims through the bundled taxonomy, and its Polisen file must read without a rejection.

func TestCategoriesMapThroughTaxonomy(t *testing.T) {
	tax, err := ingest.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		for _, k := range g.kinds {
			if got, known := tax.Lookup(k.category); !known || got != g.group {
				t.Errorf("category %q: taxonomy says %q (known %v), the demo says %q", k.category, got, known, g.group)
			}
		}
	}
	for _, p := range polisenTypes {
		if _, known := tax.Lookup(p.name); !known {
			t.Errorf("Polisen type %q is not in the taxonomy", p.name)
		}
	}
}

func TestPolisenJSONReadsBack(t *testing.T) {
	in := realInput(t)
	var b bytes.Buffer
	if err := WritePolisenJSON(&b, in, Options{Seed: 2}, 2000); err != nil {
		t.Fatal(err)
	}
	var kommuner, lan []ingest.Place
	for _, k := range in.Kommuner {
		kommuner = append(kommuner, ingest.Place{Code: k.Code, Name: k.Name})
	}
	for _, l := range in.Lan {
		lan = append(lan, ingest.Place{Code: l.Code, Name: l.Name})
	}
	tax, err := ingest.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	r := ingest.NewPolisenReader(&b, "demo.json", ingest.NewGazetteer(kommuner, lan), tax,
		ingest.WithNow(func() time.Time { return DefaultEnd }))
	n := 0
	perPrecision := map[lagesbild.Precision]int{}
	for {
		inc, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("record %d: %v", n+1, err)
		}
		n++
		perPrecision[inc.Precision]++
		if inc.PublishedAt == nil || inc.OccurredAt.After(*inc.PublishedAt) || inc.PublishedAt.Sub(inc.OccurredAt) > 2*time.Hour {
			t.Errorf("%s: occurred %s, published %v: the name's time was not read back", inc.SourceID, inc.OccurredAt, inc.PublishedAt)
		}
	}
	if n != 2000 {
		t.Errorf("read %d events, want 2000", n)
	}
	if len(r.UnknownTypes()) > 0 {
		t.Errorf("unknown types: %v", r.UnknownTypes())
	}
	if perPrecision[lagesbild.PrecisionKommun] < 1000 || perPrecision[lagesbild.PrecisionLan] < 100 {
		t.Errorf("precisions %v: want mostly kommun, some län", perPrecision)
	}
}
