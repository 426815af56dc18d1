package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

var populationAreaID = regexp.MustCompile(`^[0-9]{4}-(SO|UOP)[0-9]+$`)

// ReadAreaPopulation reads residents per area from CSV with the header
// area_id,population,estimated,method,source. A register of a few hundred rows, it is read whole.
// Bad rows come back as errs (file, line, field); err is for a file that cannot be read at all.
func ReadAreaPopulation(r io.Reader, file string) (pops []lagesbild.AreaPopulation, errs []lagesbild.ImportError, err error) {
	br, err := input(r)
	if err != nil {
		return nil, nil, err
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, nil, &lagesbild.ValidationError{File: file, Line: 1, Reason: fmt.Sprintf("reading the header: %v", err)}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range []string{"area_id", "population", "estimated", "method", "source"} {
		if _, ok := col[c]; !ok {
			return nil, nil, &lagesbild.ValidationError{File: file, Line: 1, Field: c, Reason: "required column is missing"}
		}
	}
	for {
		rec, rerr := cr.Read()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			var pe *csv.ParseError
			if errors.As(rerr, &pe) {
				errs = append(errs, lagesbild.ImportError{File: file, Line: pe.Line, Reason: pe.Err.Error()})
				continue
			}
			return nil, nil, rerr
		}
		// Only after a clean read: after a parse error in its first field a record has no field
		// positions and FieldPos panics.
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(field, format string, args ...any) {
			errs = append(errs, lagesbild.ImportError{File: file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		p := lagesbild.AreaPopulation{AreaID: get("area_id"), Method: get("method"), Source: get("source"), Line: line}
		if !populationAreaID.MatchString(p.AreaID) {
			bad("area_id", "%q is not an area id such as 2025-SO9", p.AreaID)
			continue
		}
		n, perr := strconv.Atoi(get("population"))
		if perr != nil || n < 0 || n > 1_000_000 {
			bad("population", "%q is not a number of residents (0–1 000 000)", get("population"))
			continue
		}
		p.Population = n
		est, perr := strconv.ParseBool(get("estimated"))
		if perr != nil {
			bad("estimated", "%q is not true or false", get("estimated"))
			continue
		}
		p.Estimated = est
		if p.Method == "" || p.Source == "" {
			bad(map[bool]string{true: "method", false: "source"}[p.Method == ""], "must not be empty")
			continue
		}
		pops = append(pops, p)
	}
	return pops, errs, nil
}
