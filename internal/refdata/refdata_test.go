package refdata_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

func TestLoadBundledCounts(t *testing.T) {
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Regions) != 7 || len(b.Lan) != 21 || len(b.Kommuner) != 290 {
		t.Fatalf("regions/län/kommuner = %d/%d/%d, want 7/21/290", len(b.Regions), len(b.Lan), len(b.Kommuner))
	}
	if len(b.Deso) != 5984 {
		t.Errorf("DeSO = %d, want 5984", len(b.Deso))
	}
	perYear := map[int]int{}
	for _, a := range b.Areas {
		perYear[a.Set]++
		if a.Set >= 2021 != a.GeometryOfficial {
			t.Errorf("%s: geometry_official = %v for list %d", a.ID, a.GeometryOfficial, a.Set)
		}
	}
	want := map[int]int{2015: 53, 2017: 61, 2019: 60, 2021: 61, 2023: 59, 2025: 65}
	for y, n := range want {
		if perYear[y] != n {
			t.Errorf("list %d: %d areas, want %d", y, perYear[y], n)
		}
	}
	// The 2025 file's Fisksätra row names polisområde 5313 but LPO 531240 (Nacka): the import
	// derives 5312 from the LPO code and reports the mismatch.
	var fisk *refdata.Area
	for i := range b.Areas {
		if b.Areas[i].Set == 2025 && b.Areas[i].Name == "Fisksätra" {
			fisk = &b.Areas[i]
		}
	}
	if fisk == nil || fisk.LPOCode != "531240" || fisk.PolisomradeCode != "5312" {
		t.Fatalf("Fisksätra 2025 = %+v", fisk)
	}
	found := false
	for _, w := range b.Warnings {
		found = found || strings.Contains(w, "Fisksätra")
	}
	if !found {
		t.Errorf("no warning about Fisksätra's polisområde code in %q", b.Warnings)
	}
}

func TestLoadRejectsBadYearTableRow(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"NOTICE", "area_sets.csv"} {
		data, _ := geodata.FS.ReadFile(name)
		fsys[name] = &fstest.MapFile{Data: data}
	}
	entries, _ := geodata.FS.ReadDir(".")
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, _ := geodata.FS.ReadDir(e.Name())
		for _, f := range files {
			p := e.Name() + "/" + f.Name()
			data, _ := geodata.FS.ReadFile(p)
			fsys[p] = &fstest.MapFile{Data: data}
		}
	}
	yt := string(fsys["derived/utsatta_omraden_by_year.csv"].Data)
	lines := strings.Split(yt, "\n")
	lines[3] = strings.Replace(lines[3], ",0123,", ",9999,", 1) // line 4: unknown kommun
	fsys["derived/utsatta_omraden_by_year.csv"] = &fstest.MapFile{Data: []byte(strings.Join(lines, "\n"))}
	_, err := refdata.Load(fsys)
	var ve *lagesbild.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, lagesbild.ErrInvalid) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	if ve.File != "derived/utsatta_omraden_by_year.csv" || ve.Line != 4 || ve.Field != "kommun_kod" {
		t.Errorf("error names %s:%d %s, want derived/utsatta_omraden_by_year.csv:4 kommun_kod (%v)", ve.File, ve.Line, ve.Field, err)
	}
}
