package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// FuzzObservationReader: no panic, the reader ends, and every accepted record has one place,
// a known kind, precision and classification, and a value in range.
func FuzzObservationReader(f *testing.F) {
	for _, s := range []string{
		"source_id,agency,kind,category,time,value,classification,decision,lat,lon,area_id,h3\n" +
			"a,skv,record,folkbokforingskontroll,2025-05-01 12:00,,sekretess,SB-1,59.39,17.90,,\n" +
			"b,fk,indicator,felaktig_utbetalning,2025-05,7,oppen,,,,2025-SO9,\n" +
			"c,mv,,arbetsplatsinspektion,2025-05-01,,oppen,,,,,881f1d4887fffff\n",
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[17.9,59.39],[17.91,59.39],[17.91,59.4],[17.9,59.39]]]},"properties":{"source_id":"p","agency":"skv","category":"kontrollbesok","time":"2025-05-01T10:00:00Z","classification":"sekretess"}}]}`,
		"source_id,agency,category,time,classification\nx,xx,Y,never,hemlig\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewObservationReader(strings.NewReader(in), "fuzz", "")
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("more records than input bytes")
			}
			o, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if _, fatal := FatalError(err); fatal {
				return
			}
			if err != nil {
				continue
			}
			if o.SourceID == "" || o.Agency == "" || o.Category == "" || (o.Kind != lagesbild.ObservationRecord && o.Kind != lagesbild.ObservationIndicator) ||
				(o.Classification != lagesbild.ClassOppen && o.Classification != lagesbild.ClassSekretess) || o.Value < 0 || o.Value > maxObservationValue {
				t.Fatalf("accepted an invalid record %+v", o)
			}
			places := 0
			if o.Precision == lagesbild.PrecisionExact {
				places++
			}
			if o.AreaID != "" || o.H3 != "" || o.Polygon != nil {
				places++
			}
			if places != 1 {
				t.Fatalf("record with %d places: %+v", places, o)
			}
		}
	})
}
