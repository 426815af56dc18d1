package ingest

import (
	"errors"
	"io"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// csvColumns are the column indices of an incident CSV (-1 when absent).
type csvColumns struct {
	sourceID, occurredAt, category, agency, classification, samverkanID int
	lat, lon, x, y                                                      int
}

type csvReader struct {
	core incidentCore
	r    io.Reader
	tab  *table
	c    csvColumns
	err  error
}

// NewCSVReader reads an agency incident CSV. Columns (header row required, any order, names
// case-insensitive, other columns ignored):
//
//	source_id       required, at most 200 characters; with source the record's identity
//	occurred_at     required: RFC 3339, or YYYY-MM-DD HH:MM in Europe/Stockholm; 2000 or later
//	                and at most a day in the future
//	category        required: the agency's category; its group comes from t
//	agency          required: an agency code (pm, tv, fk, …) or full name, any case
//	lat, lon        WGS84 degrees, inside Sweden — or instead:
//	x, y            SWEREF 99 TM (EPSG:3006) easting and northing in metres
//	classification  optional
//	samverkan_id    optional: the collaboration decision it was shared under
//
// Every record has Source source, exact precision and its point; a missing required column is
// a fatal error on line 1 naming the column.
//
// Dialect, chosen so that a Swedish Excel export reads as it is: RFC 4180 quoting; the
// delimiter is whichever of ',', ';' and TAB occurs most often in the header line outside
// quotes (Excel with Swedish settings writes ';', because ',' is its decimal separator);
// numbers may use a decimal point or a decimal comma ("59,33", which in a ','-delimited file
// must be quoted), but no thousands separators, NaN, Inf or hex notation; a UTF-8 BOM is
// dropped; CRLF and LF line ends both work; blank rows (Excel's trailing ";;;;") are skipped; a
// row shorter than the header has empty trailing fields, a longer one is rejected unless the
// extra fields are empty. A row that is not valid CSV (a stray quote) is rejected and reading
// goes on at the next line.
func NewCSVReader(r io.Reader, file, source string, t *Taxonomy, opts ...Option) IncidentReader {
	return &csvReader{core: newIncidentCore(file, source, t, opts), r: r}
}

func (r *csvReader) UnknownTypes() map[string]int { return r.core.cat.unknownTypes() }

// open reads the header on the first call, so a constructor never fails.
func (r *csvReader) open() error {
	if err := r.core.checkSource(); err != nil {
		return err
	}
	tab, err := newTable(r.r, r.core.file)
	if err != nil {
		return err
	}
	if err := tab.require("source_id", "occurred_at", "category", "agency"); err != nil {
		return err
	}
	if err := requireCoordinates(tab); err != nil {
		return err
	}
	r.tab = tab
	r.c = csvColumns{
		sourceID: tab.col("source_id"), occurredAt: tab.col("occurred_at"), category: tab.col("category"),
		agency: tab.col("agency"), classification: tab.col("classification"), samverkanID: tab.col("samverkan_id"),
		lat: tab.col("lat"), lon: tab.col("lon"), x: tab.col("x"), y: tab.col("y"),
	}
	return nil
}

// requireCoordinates checks that the header can give every row a point: lat and lon, or x and
// y (both pairs may be present; each row then uses one).
func requireCoordinates(tab *table) error {
	ll := tab.col("lat") >= 0 || tab.col("lon") >= 0
	xy := tab.col("x") >= 0 || tab.col("y") >= 0
	switch {
	case ll:
		if err := tab.require("lat", "lon"); err != nil {
			return err
		}
		if xy {
			return tab.require("x", "y")
		}
		return nil
	case xy:
		return tab.require("x", "y")
	default:
		return fatalf(tab.file, 1, "lat", "required columns are missing: lat and lon (WGS84), or x and y (SWEREF 99 TM)")
	}
}

func (r *csvReader) Next() (lagesbild.Incident, error) {
	if r.err != nil {
		return lagesbild.Incident{}, r.err
	}
	if r.tab == nil {
		if err := r.open(); err != nil {
			r.err = err
			return lagesbild.Incident{}, err
		}
	}
	if err := r.tab.next(); err != nil {
		if !errors.Is(err, io.EOF) && !isRecordError(err) {
			r.err = err
		}
		return lagesbild.Incident{}, err
	}
	t, c := r.tab, &r.c
	f := incidentFields{
		sourceID: t.get(c.sourceID), occurredAt: t.get(c.occurredAt), category: t.get(c.category),
		agency: t.get(c.agency), classification: t.get(c.classification), samverkanID: t.get(c.samverkanID),
	}
	var loc located
	loc.point, loc.field, loc.reason = pointFrom(t.get(c.lat), t.get(c.lon), t.get(c.x), t.get(c.y))
	if loc.field == "lat" && c.lat < 0 {
		loc.field = "x" // a SWEREF-only file: name a column it has
	}
	inc, field, reason := r.core.build(&f, loc)
	if reason != "" {
		return lagesbild.Incident{}, t.invalid(c.index(field), field, "%s", reason)
	}
	inc.Line = t.line
	return inc, nil
}

// index maps a field name back to its column, for the line of a multi-line quoted field.
func (c *csvColumns) index(field string) int {
	switch field {
	case "source_id":
		return c.sourceID
	case "occurred_at":
		return c.occurredAt
	case "category":
		return c.category
	case "agency":
		return c.agency
	case "classification":
		return c.classification
	case "samverkan_id":
		return c.samverkanID
	case "lat":
		return c.lat
	case "lon":
		return c.lon
	case "x":
		return c.x
	case "y":
		return c.y
	}
	return -1
}
