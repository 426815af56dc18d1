package lagesbild

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// fingerprintV1 is Fingerprint as first written (a hash.Hash fed field by field); the stored
// content hashes were computed with it, so the faster version must give the same bytes.
func fingerprintV1(i *Incident) [16]byte {
	h := sha256.New()
	var buf [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	putF := func(f float64) {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(f))
		h.Write(buf[:])
	}
	put(i.OccurredAt.UTC().Format(time.RFC3339Nano))
	if i.PublishedAt != nil {
		put(i.PublishedAt.UTC().Format(time.RFC3339Nano))
	} else {
		put("")
	}
	for _, s := range []string{i.Category, string(i.Group), i.Agency, i.Classification, i.SamverkanID,
		string(i.Precision), i.KommunCode, i.LanCode, i.LocationName, i.Title, i.Summary, i.URL} {
		put(s)
	}
	putF(i.Point[0])
	putF(i.Point[1])
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

func TestFingerprintUnchangedBytes(t *testing.T) {
	stockholm := time.FixedZone("CET", 3600)
	pub := time.Date(2025, 6, 7, 7, 32, 6, 120000000, stockholm)
	cases := []struct {
		name string
		inc  Incident
	}{
		{"zero", Incident{}},
		{"csv record", Incident{Source: "bench", SourceID: "demo-1", OccurredAt: time.Date(2024, 11, 1, 0, 1, 44, 0, time.UTC),
			Category: "narkotikabrott", Group: GroupNarkotika, Agency: "pm", Precision: PrecisionExact, Point: orb.Point{16.60461, 62.835702}}},
		{"polisen event in local time", Incident{Source: "polisen", SourceID: "123", OccurredAt: pub.Add(-time.Hour), PublishedAt: &pub,
			Category: "Trafikbrott", Group: GroupOvrigt, Agency: "pm", Precision: PrecisionKommun, KommunCode: "0484",
			LocationName: "Kungsör", Title: "06 juni 18.50, Trafikbrott, Kungsör", Summary: "Sammanfattning", URL: "/aktuellt/handelser/2025/juni/6/x/"}},
		{"every optional field", Incident{OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Classification: "begränsat hemlig",
			SamverkanID: "SV-2025-1", LanCode: "01", Precision: PrecisionLan, Point: orb.Point{math.Copysign(0, -1), math.Inf(1)}}},
		{"longer than the stack buffer", Incident{OccurredAt: time.Unix(0, 0), Summary: strings.Repeat("å", 700), Title: strings.Repeat("x", 300)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := c.inc.Fingerprint(), fingerprintV1(&c.inc); got != want {
				t.Errorf("Fingerprint = %x, the stored hashes' version gives %x", got, want)
			}
		})
	}
}

func BenchmarkFingerprint(b *testing.B) {
	inc := Incident{Source: "bench", SourceID: "demo-1", OccurredAt: time.Date(2024, 11, 1, 0, 1, 44, 0, time.UTC),
		Category: "narkotikabrott", Group: GroupNarkotika, Agency: "pm", Precision: PrecisionExact, Point: orb.Point{16.60461, 62.835702}}
	b.ReportAllocs()
	for b.Loop() {
		inc.Digest = inc.Fingerprint()
	}
}

func BenchmarkFingerprintV1(b *testing.B) {
	inc := Incident{Source: "bench", SourceID: "demo-1", OccurredAt: time.Date(2024, 11, 1, 0, 1, 44, 0, time.UTC),
		Category: "narkotikabrott", Group: GroupNarkotika, Agency: "pm", Precision: PrecisionExact, Point: orb.Point{16.60461, 62.835702}}
	b.ReportAllocs()
	for b.Loop() {
		inc.Digest = fingerprintV1(&inc)
	}
}
