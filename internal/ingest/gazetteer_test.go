package ingest

import (
	"encoding/csv"
	"os"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// scbPlaces reads the bundled SCB kommun and län lists: every kommun with its short and long
// name, every län with its full and short name.
func scbPlaces(t testing.TB) (kommuner, lan, kommunLong, lanShort []Place) {
	t.Helper()
	read := func(path string) [][]string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows[1:]
	}
	for _, r := range read("../../geodata/sjbrg-swedish-geodata/municipalities.csv") {
		kommuner = append(kommuner, Place{Code: r[0], Name: r[2]})
		kommunLong = append(kommunLong, Place{Code: r[0], Name: r[1]})
	}
	for _, r := range read("../../geodata/sjbrg-swedish-geodata/counties.csv") {
		lan = append(lan, Place{Code: r[0], Name: r[1]})
		lanShort = append(lanShort, Place{Code: r[0], Name: r[2]})
	}
	if len(kommuner) != 290 || len(lan) != 21 {
		t.Fatalf("read %d kommuner and %d län, want 290 and 21", len(kommuner), len(lan))
	}
	return kommuner, lan, kommunLong, lanShort
}

func testGazetteer(t testing.TB) *Gazetteer {
	k, l, _, _ := scbPlaces(t)
	return NewGazetteer(k, l)
}

func TestGazetteerResolvesEveryOfficialName(t *testing.T) {
	k, l, kLong, lShort := scbPlaces(t)
	g := NewGazetteer(k, l)
	check := func(name string, wantP lagesbild.Precision, wantCode string) {
		t.Helper()
		p, code, ok := g.Resolve(name)
		if !ok || p != wantP || code != wantCode {
			t.Errorf("Resolve(%q) = %v %q %v, want %v %q", name, p, code, ok, wantP, wantCode)
		}
	}
	for i, pl := range k {
		check(pl.Name, lagesbild.PrecisionKommun, pl.Code)
		check(kLong[i].Name, lagesbild.PrecisionKommun, pl.Code) // "Upplands Väsby kommun", "Stockholms kommun"
	}
	for i, pl := range l {
		check(pl.Name, lagesbild.PrecisionLan, pl.Code) // "Stockholms län"
		// A short län name that is also a kommun ("Stockholm", "Gotland") is the kommun;
		// every other one ("Skåne", "Västra Götaland") is the län.
		short, wantP, wantCode := lShort[i].Name, lagesbild.PrecisionLan, pl.Code
		for _, kk := range k {
			if kk.Name == short {
				wantP, wantCode = lagesbild.PrecisionKommun, kk.Code
			}
		}
		check(short, wantP, wantCode)
	}
}

func TestGazetteerForms(t *testing.T) {
	g := testGazetteer(t)
	kommun, lan := lagesbild.PrecisionKommun, lagesbild.PrecisionLan
	for _, c := range []struct {
		name string
		p    lagesbild.Precision
		code string
	}{
		{"Stockholm", kommun, "0180"},
		{"stockholm", kommun, "0180"},
		{"  STOCKHOLM  ", kommun, "0180"},
		{"Stockholms stad", kommun, "0180"},
		{"Stockholms kommun", kommun, "0180"},
		{"Stockholms län", lan, "01"},
		{"Stockholm län", lan, "01"},
		{"Stockholms", lan, "01"},
		{"Region Stockholm", lan, "01"},
		{"Västra Götalands län", lan, "14"},
		{"Västra Götaland", lan, "14"},
		{"Västra  Götalands   län", lan, "14"},
		{"Västra Götalandsregionen", lan, "14"},
		{"Skåne", lan, "12"},
		{"Skåne län", lan, "12"},
		{"Region Skåne", lan, "12"},
		{"Sörmland", lan, "04"},
		{"Gotland", kommun, "0980"},
		{"Region Gotland", kommun, "0980"},
		{"Gotlands kommun", kommun, "0980"},
		{"Gotlands län", lan, "09"},
		{"Jönköping", kommun, "0680"},
		{"Jönköpings kommun", kommun, "0680"},
		{"Jönköpings län", lan, "06"},
		{"Uppsala", kommun, "0380"},
		{"Uppsala län", lan, "03"},
		{"Falun", kommun, "2080"},
		{"Falu kommun", kommun, "2080"},
		{"Upplands Väsby", kommun, "0114"},
		{"Upplands-Väsby", kommun, "0114"},
		{"Upplands Väsby kommun", kommun, "0114"},
		{"Upplands-Bro", kommun, "0139"},
		{"Malung-Sälen", kommun, "2023"},
		{"Malung Sälen", kommun, "2023"},
		{"Malung-Sälens kommun", kommun, "2023"},
		{"Dals-Ed", kommun, "1438"},
		{"Habo", kommun, "0643"},
		{"Habo kommun", kommun, "0643"},
		{"Mölndal", kommun, "1481"},
		{"Mölndals stad", kommun, "1481"},
		{"Mölndals", kommun, "1481"},
		{"Borås stad", kommun, "1490"},
		{"Kalix kommun", kommun, "2514"},
		{"Malmö stad", kommun, "1280"},
		{"Göteborg", kommun, "1480"},
		{"Göteborgs stad", kommun, "1480"},
		{"Östersund", kommun, "2380"},
		{"Jämtlands län", lan, "23"},
		{"Region Jämtland Härjedalen", lan, "23"},
		{"Härjedalen", kommun, "2361"},
		{"Örebro", kommun, "1880"},
		{"Örebro län", lan, "18"},
		{"Norrbotten", lan, "25"},
		{"Ma\u0308rsta", "", ""}, // decomposed ä, but Märsta is no kommun (it is in Sigtuna)
		{"Ha\u0308rjedalen", kommun, "2361"},
		{"Ö\u0308", "", ""},
	} {
		p, code, ok := g.Resolve(c.name)
		if c.code == "" {
			if ok {
				t.Errorf("Resolve(%q) = %v %q, want not found", c.name, p, code)
			}
			continue
		}
		if !ok || p != c.p || code != c.code {
			t.Errorf("Resolve(%q) = %v %q %v, want %v %q", c.name, p, code, ok, c.p, c.code)
		}
	}
}

func TestGazetteerUnknown(t *testing.T) {
	g := testGazetteer(t)
	for _, name := range []string{"", " ", "Atlantis", "Rinkeby", "län", "kommun", "Sverige", "Stockholms län län"} {
		if p, code, ok := g.Resolve(name); ok {
			t.Errorf("Resolve(%q) = %v %q, want not found", name, p, code)
		}
	}
	var nilG *Gazetteer
	if _, _, ok := nilG.Resolve("Stockholm"); ok {
		t.Error("nil gazetteer resolved a name")
	}
}
