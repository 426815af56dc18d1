package ingest

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// incidentFields are the raw values of one agency incident record, from a CSV row or a GeoJSON
// feature's properties.
type incidentFields struct {
	sourceID, occurredAt, category, agency, classification, samverkanID string
}

// located is a record's point as its reader derived it, or the field and reason it failed on.
type located struct {
	point         orb.Point
	field, reason string
}

// incidentCore validates agency incident records; the CSV and GeoJSON readers share it so the
// two formats accept exactly the same values.
type incidentCore struct {
	file, source string
	cfg          config
	cat          categorizer
}

func newIncidentCore(file, source string, t *Taxonomy, opts []Option) incidentCore {
	return incidentCore{file: file, source: strings.TrimSpace(source), cfg: newConfig(opts), cat: newCategorizer(t)}
}

// checkSource is the reader's first-call check: (source, source_id) is the upsert key, so a
// record without a source could collide with any other feed.
func (c *incidentCore) checkSource() error {
	if c.source == "" {
		return fatalf(c.file, 0, "source", "the import needs a source name (the agency system or feed)")
	}
	return nil
}

// build validates f and loc into an exact incident. On failure it returns the field to blame
// and the reason; the caller knows the line.
func (c *incidentCore) build(f *incidentFields, loc located) (inc lagesbild.Incident, field, reason string) {
	sourceID, reason := ident(f.sourceID, maxIDLen)
	if reason == "" && sourceID == "" {
		reason = "missing"
	}
	if reason != "" {
		return inc, "source_id", reason
	}
	if f.occurredAt == "" {
		return inc, "occurred_at", "missing"
	}
	occurred, reason := incidentTime(f.occurredAt, c.cfg.now())
	if reason != "" {
		return inc, "occurred_at", reason
	}
	category, reason := ident(f.category, maxIDLen)
	if reason == "" && category == "" {
		reason = "missing"
	}
	if reason != "" {
		return inc, "category", reason
	}
	if f.agency == "" {
		return inc, "agency", "missing"
	}
	agency, ok := agencyCode(f.agency)
	if !ok {
		return inc, "agency", unknownAgency(f.agency)
	}
	classification, reason := ident(f.classification, maxIDLen)
	if reason != "" {
		return inc, "classification", reason
	}
	samverkan, reason := ident(f.samverkanID, maxIDLen)
	if reason != "" {
		return inc, "samverkan_id", reason
	}
	if loc.reason != "" {
		return inc, loc.field, loc.reason
	}
	return lagesbild.Incident{
		Source:         c.source,
		SourceID:       sourceID,
		OccurredAt:     occurred,
		Category:       category,
		Group:          c.cat.group(category),
		Agency:         agency,
		Classification: classification,
		SamverkanID:    samverkan,
		Precision:      lagesbild.PrecisionExact,
		Point:          loc.point,
	}, "", ""
}

// unknownAgency explains which agency values are accepted.
func unknownAgency(s string) string {
	codes := make([]string, len(lagesbild.Agencies))
	for i, a := range lagesbild.Agencies {
		codes[i] = a.Code
	}
	return fmt.Sprintf("%q is not an agency code (%s) or an agency's full name", clip(s), strings.Join(codes, ", "))
}
