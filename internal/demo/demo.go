// Package demo generates deterministic synthetic demo data — incidents, agency offices, joint
// operations and a small Polisen events file — over the real bundled geography (kommuner and the
// police's utsatta områden). Everything it makes carries the source lagesbild.SourceSyntheticDemo
// and is shown as synthetic. The model, its sources of realism and its planted patterns are
// described in docs/demo-data.md. The package reads no files and knows no database (it writes
// only the Polisen file, to the writer it is given): `lagesbild demo` stores its output through
// the normal import path.
package demo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/refdata"
)

// Kommun is a municipality with its population and boundary.
type Kommun struct {
	Code, Name, LanCode string
	Population          int
	Geom                orb.MultiPolygon // EPSG:3006
}

// Lan is a county: its name is a Polisen location, its police region part of samverkan ids.
type Lan struct {
	Code, Name string // "01", "Stockholms län"
	RegionCode string // police region, "5300"
}

// Area is an utsatt område of one police list.
type Area struct {
	ID, Name   string // "2025-SO74", "Rinkeby"
	Class      lagesbild.AreaClass
	KommunCode string
	Geom       orb.MultiPolygon // EPSG:3006
}

// Input is the real geography the synthetic data is laid over.
type Input struct {
	Kommuner []Kommun
	Lan      []Lan
	Areas    []Area // one list, normally the newest
}

// FromRefdata takes the kommuner, län and the areas of list year (0: the newest list) from the
// bundled reference data.
func FromRefdata(b *refdata.Bundle, year int) Input {
	var in Input
	for _, k := range b.Kommuner {
		in.Kommuner = append(in.Kommuner, Kommun{Code: k.Code, Name: k.Name, LanCode: k.LanCode, Population: k.Population, Geom: k.Geom})
	}
	for _, l := range b.Lan {
		in.Lan = append(in.Lan, Lan{Code: l.Code, Name: l.Name, RegionCode: l.RegionCode})
	}
	if year == 0 {
		for _, a := range b.Areas {
			year = max(year, a.Set)
		}
	}
	for _, a := range b.Areas {
		if a.Set == year {
			in.Areas = append(in.Areas, Area{ID: a.ID, Name: a.Name, Class: a.Class, KommunCode: a.KommunCode, Geom: a.Geom})
		}
	}
	return in
}

// Options control the generation. The zero value is the default demo.
type Options struct {
	Seed int64
	// Start and End bound the period [Start, End); zero values mean the two years ending
	// DefaultEnd, and one given bound means two years from or to it.
	Start, End time.Time
	// Scale multiplies the number of incidents: 1 (or 0) gives IncidentsPerYear per year,
	// about 400 000 over two years; tests use 0.01. The planted patterns scale with
	// max(Scale, MinPlantedScale) so that they stay detectable in small test sets.
	Scale float64
}

// DefaultEnd is the end of the default period (two years ending here).
var DefaultEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// MinPlantedScale is the smallest factor the planted patterns are scaled by (see Options.Scale).
const MinPlantedScale = 0.5

func (o Options) normalized() (Options, error) {
	switch {
	case o.Start.IsZero() && o.End.IsZero():
		o.End = DefaultEnd
		o.Start = o.End.AddDate(-2, 0, 0)
	case o.Start.IsZero():
		o.Start = o.End.AddDate(-2, 0, 0)
	case o.End.IsZero():
		o.End = o.Start.AddDate(2, 0, 0)
	}
	o.Start, o.End = o.Start.UTC(), o.End.UTC()
	if !o.End.After(o.Start) {
		return o, lagesbild.Invalid("end", "demo: period %s – %s is empty", o.Start.Format(time.DateOnly), o.End.Format(time.DateOnly))
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if !(o.Scale > 0) || math.IsInf(o.Scale, 0) {
		return o, lagesbild.Invalid("scale", "demo: scale %g must be positive", o.Scale)
	}
	return o, nil
}

// Streams of the random generator: each output has its own, so that changing how offices are
// placed does not change a single incident.
const (
	streamWorld = iota + 1
	streamIncidents
	streamOffices
	streamOperations
	streamPolisen
	streamPlanted
	// streamPlantedOwn feeds the planted patterns from PlantedOwnStreamFrom on, so that adding
	// them changed no incident of the model or of the earlier patterns.
	streamPlantedOwn
	// streamPlantedEach + i feeds planted pattern i from PlantedEachOwnStreamFrom on.
	streamPlantedEach = 1000
)

func sortedInput(in Input) Input {
	out := Input{Kommuner: slices.Clone(in.Kommuner), Lan: slices.Clone(in.Lan), Areas: slices.Clone(in.Areas)}
	slices.SortFunc(out.Kommuner, func(a, b Kommun) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(out.Lan, func(a, b Lan) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(out.Areas, func(a, b Area) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func checkInput(in Input) error {
	if len(in.Kommuner) == 0 {
		return lagesbild.Invalid("kommuner", "demo: the input has no kommuner")
	}
	seen := map[string]bool{}
	for _, k := range in.Kommuner {
		if len(k.Geom) == 0 {
			return lagesbild.Invalid("kommuner", "demo: kommun %s has no polygon", k.Code)
		}
		seen[k.Code] = true
	}
	for _, a := range in.Areas {
		if len(a.Geom) == 0 {
			return lagesbild.Invalid("areas", "demo: area %s has no polygon", a.ID)
		}
		if !seen[a.KommunCode] {
			return lagesbild.Invalid("areas", "demo: area %s lies in kommun %q, which is not in the input", a.ID, a.KommunCode)
		}
	}
	return nil
}

// errorf wraps an error with the package prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("demo: "+format, args...) }
