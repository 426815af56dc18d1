package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchCSV builds an agency CSV of n rows with realistic variety: WGS84 and SWEREF points,
// RFC 3339 and local times, known and unknown categories.
func benchCSV(n int, sep string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join([]string{"source_id", "occurred_at", "category", "agency", "lat", "lon", "x", "y", "classification", "samverkan_id"}, sep) + "\n")
	cats := []string{"Skottlossning", "narkotikabrott", "bidragsbrott", "Misshandel", "okänd kategori"}
	for i := range n {
		var when, lat, lon, x, y string
		if i%2 == 0 {
			when = fmt.Sprintf("2025-03-%02dT%02d:%02d:00+01:00", 1+i%28, i%24, i%60)
			lat, lon = fmt.Sprintf("59.%06d", i%1000000), fmt.Sprintf("18.%06d", (i*7)%1000000)
		} else {
			when = fmt.Sprintf("2025-03-%02d %02d:%02d", 1+i%28, i%24, i%60)
			x, y = fmt.Sprintf("%d.5", 600000+i%100000), fmt.Sprintf("%d", 6500000+i%200000)
		}
		b.WriteString(strings.Join([]string{fmt.Sprintf("REF-%09d", i), when, cats[i%len(cats)], "pm", lat, lon, x, y, "", "SV-2025-1"}, sep) + "\n")
	}
	return b.Bytes()
}

func BenchmarkCSV(b *testing.B) {
	tax := testTaxonomy(b)
	for _, sep := range []string{",", ";"} {
		const rows = 100000
		data := benchCSV(rows, sep)
		b.Run(fmt.Sprintf("sep=%q", sep), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				r := NewCSVReader(bytes.NewReader(data), "bench.csv", "bench", tax, WithNow(testNow))
				for {
					_, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkPolisen(b *testing.B) {
	g, tax := testGazetteer(b), testTaxonomy(b)
	var buf bytes.Buffer
	buf.WriteString("[\n")
	const events = 10000
	for i := range events {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString(polisenEvent1(fmt.Sprint(i+1), "2025-06-07 7:32:06 +02:00", "06 juni 18.50, Trafikbrott, Kungsör", "Trafikbrott", "Kungsör", "/aktuellt/handelser/2025/juni/6/x/"))
	}
	buf.WriteString("\n]\n")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r := NewPolisenReader(bytes.NewReader(data), "bench.json", g, tax, WithNow(testNow))
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
