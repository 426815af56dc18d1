// Package refdata parses the bundled reference geodata (geodata/) — police regions, län, kommuner,
// DeSO population and the police lists of utsatta områden with their cross-year identity — into
// records ready to store. It does no I/O beyond reading the given file system and knows no database.
package refdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Bundle is the parsed content of geodata/. Geometries are in EPSG:3006.
type Bundle struct {
	Regions      []Region
	Lan          []Lan
	Kommuner     []Kommun
	Deso         []Deso
	Polisomraden []Polisomrade
	LPOs         []LPO
	Sets         []AreaSet
	Identities   []Identity
	Lineage      []Lineage
	Areas        []Area
	// Warnings are inconsistencies in the sources that the import resolved and reports.
	Warnings []string
}

// Region is a police region (REGIONKOD).
type Region struct {
	Code, Name string
	Geom       orb.MultiPolygon
}

// Lan is a county.
type Lan struct {
	Code, Name, ShortName, RegionCode string
	Geom                              orb.MultiPolygon
}

// Kommun is a municipality with its SCB population.
type Kommun struct {
	Code, Name, LanCode string
	Population          int
	PopulationDate      time.Time
	Geom                orb.MultiPolygon
}

// Deso is the population of one SCB DeSO; Stats holds the other published columns.
type Deso struct {
	Code, KommunCode string
	Pop2023, Pop2022 int
	Stats            map[string]float64
}

// Polisomrade is a police district.
type Polisomrade struct{ Code, Name, RegionCode string }

// LPO is a lokalpolisområde.
type LPO struct{ Code, Name, PolisomradeCode, RegionCode string }

// AreaSet is one police list with the counts the sources publish for it.
type AreaSet struct {
	lagesbild.AreaSet
	ExpectedCount int
	ExpectedClass map[lagesbild.AreaClass]int
}

// Identity is a cross-year area identity.
type Identity struct {
	Key              string
	SpecialomradesID int // 0 when none
	PanelID          int // 0 when none
}

// Lineage links a 2025 area key to the 2023 key it came from.
type Lineage struct {
	Key, PredecessorKey, Kind, Note string
	Year                            int
}

// Area is one area of one list, with its polygon.
type Area struct {
	lagesbild.Area
	Geom orb.MultiPolygon
}

// Load reads and validates the whole bundle. Every error names the file, line and field.
func Load(fsys fs.FS) (*Bundle, error) {
	b := &Bundle{}
	steps := []func(fs.FS) error{b.loadRegions, b.loadLan, b.loadKommuner, b.loadDeso, b.loadSets, b.loadAreas}
	for _, step := range steps {
		if err := step(fsys); err != nil {
			return nil, fmt.Errorf("refdata: %w", err)
		}
	}
	return b, nil
}

func verr(file string, line int, field, format string, args ...any) error {
	return &lagesbild.ValidationError{File: file, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// table is a CSV file read as header-keyed records with line numbers for error messages.
type table struct {
	file   string
	header map[string]int
	rows   [][]string
	lines  []int
}

func readTable(fsys fs.FS, file string, required ...string) (*table, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 0
	head, err := r.Read()
	if err != nil {
		return nil, verr(file, 1, "", "reading header: %v", err)
	}
	t := &table{file: file, header: map[string]int{}}
	for i, h := range head {
		t.header[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	for _, c := range required {
		if _, ok := t.header[c]; !ok {
			return nil, verr(file, 1, c, "required column is missing")
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, verr(file, line, "", "%v", err)
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	return t, nil
}

func (t *table) get(i int, col string) string {
	return strings.TrimSpace(t.rows[i][t.header[col]])
}

func (t *table) int(i int, col string, optional bool) (int, error) {
	s := t.get(i, col)
	if s == "" && optional {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, verr(t.file, t.lines[i], col, "%q is not a whole number", s)
	}
	return v, nil
}

// features reads a GeoJSON FeatureCollection (EPSG:3006 in the bundle).
func features(fsys fs.FS, file string) ([]*geojson.Feature, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, verr(file, 0, "", "not a GeoJSON FeatureCollection: %v", err)
	}
	return fc.Features, nil
}

func multiPolygon(file string, n int, f *geojson.Feature) (orb.MultiPolygon, error) {
	switch g := f.Geometry.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	}
	return nil, verr(file, n, "geometry", "want Polygon or MultiPolygon, got %T", f.Geometry)
}

func prop(f *geojson.Feature, key string) string {
	switch v := f.Properties[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

var spaceRun = regexp.MustCompile(`\s+`)
var slashRun = regexp.MustCompile(`\s*/\s*`)

// NormalizeName folds white space so names written slightly differently by different files
// ("Hässleholmen/  Hulta", "Hässleholmen / Hulta") compare equal.
func NormalizeName(s string) string {
	return strings.TrimSpace(slashRun.ReplaceAllString(spaceRun.ReplaceAllString(s, " "), " / "))
}

func (b *Bundle) loadRegions(fsys fs.FS) error {
	const file = "derived/polisregioner_sweref99tm.geojson"
	fs_, err := features(fsys, file)
	if err != nil {
		return err
	}
	for i, f := range fs_ {
		g, err := multiPolygon(file, i+1, f)
		if err != nil {
			return err
		}
		r := Region{Code: prop(f, "regionkod_polisen"), Name: prop(f, "polisregion"), Geom: g}
		if !regionCode.MatchString(r.Code) {
			return verr(file, i+1, "regionkod_polisen", "%q is not a police region code (5100–5700)", r.Code)
		}
		b.Regions = append(b.Regions, r)
	}
	if len(b.Regions) != 7 {
		return verr(file, 0, "", "want 7 police regions, found %d", len(b.Regions))
	}
	return nil
}

var regionCode = regexp.MustCompile(`^5[1-7]00$`)

func (b *Bundle) regionByName(name string) string {
	for _, r := range b.Regions {
		if strings.EqualFold(r.Name, name) {
			return r.Code
		}
	}
	return ""
}

func (b *Bundle) loadLan(fsys fs.FS) error {
	mapping, err := readTable(fsys, "derived/lan_polisregion.csv", "lan_kod", "regionkod_polisen")
	if err != nil {
		return err
	}
	regionOf := map[string]string{}
	for i := range mapping.rows {
		regionOf[mapping.get(i, "lan_kod")] = mapping.get(i, "regionkod_polisen")
	}
	names, err := readTable(fsys, "sjbrg-swedish-geodata/counties.csv", "county_code", "county_name", "county_name_short")
	if err != nil {
		return err
	}
	full, short := map[string]string{}, map[string]string{}
	for i := range names.rows {
		full[names.get(i, "county_code")] = names.get(i, "county_name")
		short[names.get(i, "county_code")] = names.get(i, "county_name_short")
	}
	const file = "scb-kommun-lan/lan_scb_sweref99tm.geojson"
	fs_, err := features(fsys, file)
	if err != nil {
		return err
	}
	for i, f := range fs_ {
		g, err := multiPolygon(file, i+1, f)
		if err != nil {
			return err
		}
		code := prop(f, "LnKod")
		l := Lan{Code: code, Name: full[code], ShortName: short[code], RegionCode: regionOf[code], Geom: g}
		if l.Name == "" || l.RegionCode == "" {
			return verr(file, i+1, "LnKod", "län %q has no name in counties.csv or no police region in lan_polisregion.csv", code)
		}
		b.Lan = append(b.Lan, l)
	}
	if len(b.Lan) != 21 {
		return verr(file, 0, "", "want 21 län, found %d", len(b.Lan))
	}
	return nil
}

func (b *Bundle) loadKommuner(fsys fs.FS) error {
	names, err := readTable(fsys, "sjbrg-swedish-geodata/municipalities.csv", "municipality_code", "municipality_name_short", "county_code")
	if err != nil {
		return err
	}
	name, lan := map[string]string{}, map[string]string{}
	for i := range names.rows {
		c := names.get(i, "municipality_code")
		name[c], lan[c] = names.get(i, "municipality_name_short"), names.get(i, "county_code")
	}
	pop, err := readTable(fsys, "scb-deso-stats-2022-2023/kommun_pop_2023_from_deso.csv", "kommun_kod", "folkmangd_2023_12_31")
	if err != nil {
		return err
	}
	population := map[string]int{}
	for i := range pop.rows {
		v, err := pop.int(i, "folkmangd_2023_12_31", false)
		if err != nil {
			return err
		}
		population[pop.get(i, "kommun_kod")] = v
	}
	const file = "scb-kommun-lan/kommuner_scb2023_sweref99tm.geojson"
	fs_, err := features(fsys, file)
	if err != nil {
		return err
	}
	popDate := time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)
	for i, f := range fs_ {
		g, err := multiPolygon(file, i+1, f)
		if err != nil {
			return err
		}
		code := prop(f, "KnKod")
		k := Kommun{Code: code, Name: name[code], LanCode: lan[code], Population: population[code], PopulationDate: popDate, Geom: g}
		if k.Name == "" || k.LanCode == "" {
			return verr(file, i+1, "KnKod", "kommun %q is missing from municipalities.csv", code)
		}
		if k.LanCode != code[:2] {
			return verr(file, i+1, "KnKod", "kommun %q lies in län %q by its code but %q by municipalities.csv", code, code[:2], k.LanCode)
		}
		b.Kommuner = append(b.Kommuner, k)
	}
	if len(b.Kommuner) != 290 {
		return verr(file, 0, "", "want 290 kommuner, found %d", len(b.Kommuner))
	}
	return nil
}

func (b *Bundle) loadDeso(fsys fs.FS) error {
	t, err := readTable(fsys, "scb-deso-stats-2022-2023/deso2018_stats.csv", "deso", "kommun_kod", "pop_2023", "pop_2022")
	if err != nil {
		return err
	}
	skip := map[string]bool{"deso": true, "kommun_kod": true, "lan_kod": true, "pop_2023": true, "pop_2022": true}
	for i := range t.rows {
		d := Deso{Code: t.get(i, "deso"), KommunCode: t.get(i, "kommun_kod"), Stats: map[string]float64{}}
		if len(d.Code) != 9 || d.Code[:4] != d.KommunCode {
			return verr(t.file, t.lines[i], "deso", "%q is not a DeSO code of kommun %q", d.Code, d.KommunCode)
		}
		if d.Pop2023, err = t.int(i, "pop_2023", false); err != nil {
			return err
		}
		if d.Pop2022, err = t.int(i, "pop_2022", true); err != nil {
			return err
		}
		for col, j := range t.header {
			if skip[col] || strings.TrimSpace(t.rows[i][j]) == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(t.rows[i][j]), 64)
			if err != nil {
				return verr(t.file, t.lines[i], col, "%q is not a number", t.rows[i][j])
			}
			d.Stats[col] = v
		}
		b.Deso = append(b.Deso, d)
	}
	return nil
}

func (b *Bundle) loadSets(fsys fs.FS) error {
	t, err := readTable(fsys, "area_sets.csv", "year", "published", "label", "geometry_official", "area_count", "utsatt", "risk", "sarskilt_utsatt", "note")
	if err != nil {
		return err
	}
	for i := range t.rows {
		var s AreaSet
		if s.Year, err = t.int(i, "year", false); err != nil {
			return err
		}
		if s.Published, err = time.Parse(time.DateOnly, t.get(i, "published")); err != nil {
			return verr(t.file, t.lines[i], "published", "%q is not a date (YYYY-MM-DD)", t.get(i, "published"))
		}
		if s.GeometryOfficial, err = strconv.ParseBool(t.get(i, "geometry_official")); err != nil {
			return verr(t.file, t.lines[i], "geometry_official", "%q is not true or false", t.get(i, "geometry_official"))
		}
		s.Label, s.Note = t.get(i, "label"), t.get(i, "note")
		if s.ExpectedCount, err = t.int(i, "area_count", false); err != nil {
			return err
		}
		s.ExpectedClass = map[lagesbild.AreaClass]int{}
		for _, c := range []lagesbild.AreaClass{lagesbild.ClassUtsatt, lagesbild.ClassRisk, lagesbild.ClassSarskiltUtsatt} {
			if s.ExpectedClass[c], err = t.int(i, string(c), false); err != nil {
				return err
			}
		}
		b.Sets = append(b.Sets, s)
	}
	return nil
}

// policeFile describes how one of the police area files names its attributes.
type policeFile struct {
	path                                        string
	name, lpoCode, lpoName, poCode, poName, ort string
	regionCode, specialID, start, end           string
}

var policeFiles = map[string]policeFile{
	"polisen-uso-2025": {path: "polisen-uso-2025/uso_2025_sweref99tm.geojson", name: "NAMN", lpoCode: "OMRADESKOD",
		lpoName: "LOKALPOLISOMRADE", poCode: "POLISOMRADESKOD", poName: "POLISOMRADE", ort: "ORT",
		regionCode: "REGIONKOD", specialID: "SPECIALOMRADES_ID", start: "AKTUALITET_START", end: "AKTUALITET_SLUT"},
	"polisen-uso-2023": {path: "polisen-uso-2023-2021/uso_2023_sweref99tm.geojson", name: "NAMN", lpoCode: "OMRADESKOD",
		lpoName: "LOKALPOLIS", poCode: "POLISOMRAD", poName: "POLISOMR_1", ort: "ORT",
		regionCode: "REGIONKOD", specialID: "SPECIALOMR", start: "AKTUALITET"},
	"polisen-uso-2021": {path: "polisen-uso-2023-2021/UO2021_sweref99tm.geojson", name: "namn", ort: "ort"},
}

const panelFile = "uo-panel-2015-2023/UO_panel_sweref99tm.geojson"

type crosswalkRow struct {
	key              string
	specialID, panel int
}

func (b *Bundle) loadAreas(fsys fs.FS) error {
	// Geometry sources keyed by normalised name (police files) or name|year (panel).
	byName := map[string]map[string]*geojson.Feature{}
	for src, pf := range policeFiles {
		fs_, err := features(fsys, pf.path)
		if err != nil {
			return err
		}
		byName[src] = map[string]*geojson.Feature{}
		for _, f := range fs_ {
			byName[src][NormalizeName(prop(f, pf.name))] = f
		}
	}
	panel, err := features(fsys, panelFile)
	if err != nil {
		return err
	}
	byName["uo-panel-2015-2023"] = map[string]*geojson.Feature{}
	for _, f := range panel {
		byName["uo-panel-2015-2023"][NormalizeName(prop(f, "area_panel"))+"|"+prop(f, "year")] = f
	}

	cw, err := readTable(fsys, "crosswalk/area_crosswalk.csv", "year", "name", "area_key", "specialomrades_id", "panel_id")
	if err != nil {
		return err
	}
	crosswalk := map[string]crosswalkRow{}
	identities := map[string]*Identity{}
	for i := range cw.rows {
		var r crosswalkRow
		r.key = cw.get(i, "area_key")
		if r.specialID, err = cw.int(i, "specialomrades_id", true); err != nil {
			return err
		}
		if r.panel, err = cw.int(i, "panel_id", true); err != nil {
			return err
		}
		crosswalk[cw.get(i, "year")+"|"+NormalizeName(cw.get(i, "name"))] = r
		id := identities[r.key]
		if id == nil {
			id = &Identity{Key: r.key}
			identities[r.key] = id
		}
		if r.specialID != 0 {
			id.SpecialomradesID = r.specialID
		}
		if r.panel != 0 && id.PanelID == 0 {
			id.PanelID = r.panel
		}
	}
	for _, id := range identities {
		b.Identities = append(b.Identities, *id)
	}
	sort.Slice(b.Identities, func(i, j int) bool { return b.Identities[i].Key < b.Identities[j].Key })

	lt, err := readTable(fsys, "crosswalk/area_lineage.csv", "area_key", "predecessor_key", "year", "kind", "note")
	if err != nil {
		return err
	}
	for i := range lt.rows {
		l := Lineage{Key: lt.get(i, "area_key"), PredecessorKey: lt.get(i, "predecessor_key"), Kind: lt.get(i, "kind"), Note: lt.get(i, "note")}
		if l.Year, err = lt.int(i, "year", false); err != nil {
			return err
		}
		for _, k := range []string{l.Key, l.PredecessorKey} {
			if identities[k] == nil {
				return verr(lt.file, lt.lines[i], "area_key", "%q is not an area key of area_crosswalk.csv", k)
			}
		}
		b.Lineage = append(b.Lineage, l)
	}

	yt, err := readTable(fsys, "derived/utsatta_omraden_by_year.csv", "year", "name", "category", "kategori_polisen",
		"ort", "kommun_kod", "polisregion", "source", "geometry_source")
	if err != nil {
		return err
	}
	kommunLan := map[string]string{}
	for _, k := range b.Kommuner {
		kommunLan[k.Code] = k.LanCode
	}
	lanRegion := map[string]string{}
	for _, l := range b.Lan {
		lanRegion[l.Code] = l.RegionCode
	}
	sets := map[int]bool{}
	for _, s := range b.Sets {
		sets[s.Year] = s.GeometryOfficial
	}

	lpos := map[string]LPO{}
	poNames := map[string]string{}
	for i := range yt.rows {
		line := yt.lines[i]
		year, err := yt.int(i, "year", false)
		if err != nil {
			return err
		}
		official, ok := sets[year]
		if !ok {
			return verr(yt.file, line, "year", "%d is not a list year of area_sets.csv", year)
		}
		name := yt.get(i, "name")
		cwr, ok := crosswalk[strconv.Itoa(year)+"|"+NormalizeName(name)]
		if !ok {
			return verr(yt.file, line, "name", "%q (%d) has no row in crosswalk/area_crosswalk.csv", name, year)
		}
		a := Area{}
		a.AreaKey, a.Set, a.Name = cwr.key, year, name
		a.ID = fmt.Sprintf("%d-%s", year, cwr.key)
		a.Class = lagesbild.AreaClass(yt.get(i, "category"))
		if !a.Class.Valid() {
			return verr(yt.file, line, "category", "%q is not utsatt, risk or sarskilt_utsatt", a.Class)
		}
		a.ClassPolisen, a.Ort, a.Source = yt.get(i, "kategori_polisen"), yt.get(i, "ort"), yt.get(i, "source")
		a.KommunCode = yt.get(i, "kommun_kod")
		lan, ok := kommunLan[a.KommunCode]
		if !ok {
			return verr(yt.file, line, "kommun_kod", "%q is not one of the 290 kommuner", a.KommunCode)
		}
		a.RegionCode = b.regionByName(yt.get(i, "polisregion"))
		if a.RegionCode == "" {
			return verr(yt.file, line, "polisregion", "%q is not a police region", yt.get(i, "polisregion"))
		}
		if a.RegionCode != lanRegion[lan] {
			return verr(yt.file, line, "polisregion", "%q does not contain kommun %s (län %s)", yt.get(i, "polisregion"), a.KommunCode, lan)
		}
		a.GeometrySource = yt.get(i, "geometry_source")
		a.GeometryOfficial = official && a.GeometrySource != "uo-panel-2015-2023"
		lookup := NormalizeName(name)
		if a.GeometrySource == "uo-panel-2015-2023" {
			lookup += "|" + strconv.Itoa(year)
		}
		srcFeatures, ok := byName[a.GeometrySource]
		if !ok {
			return verr(yt.file, line, "geometry_source", "unknown geometry source %q", a.GeometrySource)
		}
		f, ok := srcFeatures[lookup]
		if !ok {
			return verr(yt.file, line, "name", "%q has no polygon in %s", name, a.GeometrySource)
		}
		if a.Geom, err = multiPolygon(a.GeometrySource, line, f); err != nil {
			return err
		}
		if pf, ok := policeFiles[a.GeometrySource]; ok {
			if pf.specialID != "" && prop(f, pf.specialID) != strconv.Itoa(cwr.specialID) {
				return verr(yt.file, line, "name", "%q: SPECIALOMRADES_ID %s in %s but %d in the crosswalk", name, prop(f, pf.specialID), pf.path, cwr.specialID)
			}
			if pf.lpoCode != "" {
				if err := b.policeAttributes(&a, f, pf, lpos, poNames); err != nil {
					return err
				}
			}
		}
		b.Areas = append(b.Areas, a)
	}
	// Older lists carry no police district attributes: take them from the newest list that has the
	// same area key, and say which year they come from.
	latest := map[string]*Area{}
	for i := range b.Areas {
		a := &b.Areas[i]
		if a.LPOCode != "" && (latest[a.AreaKey] == nil || latest[a.AreaKey].Set < a.Set) {
			latest[a.AreaKey] = a
		}
	}
	for i := range b.Areas {
		a := &b.Areas[i]
		if src := latest[a.AreaKey]; a.LPOCode == "" && src != nil {
			a.LPOCode, a.PolisomradeCode, a.LPOSourceYear = src.LPOCode, src.PolisomradeCode, src.Set
		}
	}
	for code, name := range poNames {
		b.Polisomraden = append(b.Polisomraden, Polisomrade{Code: code, Name: name, RegionCode: code[:2] + "00"})
	}
	sort.Slice(b.Polisomraden, func(i, j int) bool { return b.Polisomraden[i].Code < b.Polisomraden[j].Code })
	for _, l := range lpos {
		if _, ok := poNames[l.PolisomradeCode]; !ok {
			return verr("", 0, "OMRADESKOD", "lokalpolisområde %s (%s) belongs to polisområde %s, which no police file names", l.Code, l.Name, l.PolisomradeCode)
		}
		b.LPOs = append(b.LPOs, l)
	}
	sort.Slice(b.LPOs, func(i, j int) bool { return b.LPOs[i].Code < b.LPOs[j].Code })
	return b.checkCounts()
}

var lpoCode = regexp.MustCompile(`^5[1-7][0-9]{4}$`)

// policeAttributes copies the police district attributes of a police file feature. The parents of
// a lokalpolisområde are derived from its code (531240 → polisområde 5312 → region 5300); a file
// row that says otherwise is reported as a warning (the 2025 file has one, Fisksätra).
func (b *Bundle) policeAttributes(a *Area, f *geojson.Feature, pf policeFile, lpos map[string]LPO, poNames map[string]string) error {
	code := prop(f, pf.lpoCode)
	if !lpoCode.MatchString(code) {
		return verr(pf.path, 0, pf.lpoCode, "%s: %q is not a lokalpolisområde code", a.Name, code)
	}
	a.LPOCode, a.LPOName, a.LPOSourceYear = code, prop(f, pf.lpoName), a.Set
	a.PolisomradeCode = code[:4]
	if region := code[:2] + "00"; region != a.RegionCode {
		return verr(pf.path, 0, pf.lpoCode, "%s: lokalpolisområde %s lies in region %s, the year table says %s", a.Name, code, region, a.RegionCode)
	}
	if rc := prop(f, pf.regionCode); rc != a.RegionCode {
		b.Warnings = append(b.Warnings, fmt.Sprintf("%s: %s (%d): REGIONKOD %s differs from region %s derived from OMRADESKOD %s", pf.path, a.Name, a.Set, rc, a.RegionCode, code))
	}
	poCode, poName := prop(f, pf.poCode), prop(f, pf.poName)
	if poCode != a.PolisomradeCode {
		b.Warnings = append(b.Warnings, fmt.Sprintf("%s: %s (%d): polisområde code %s differs from %s derived from OMRADESKOD %s; using %s", pf.path, a.Name, a.Set, poCode, a.PolisomradeCode, code, a.PolisomradeCode))
	} else if poName != "" && (poNames[poCode] == "" || a.Set == 2025) {
		poNames[poCode] = poName
	}
	if old, ok := lpos[code]; !ok || a.Set == 2025 || old.Name == "" {
		lpos[code] = LPO{Code: code, Name: a.LPOName, PolisomradeCode: a.PolisomradeCode, RegionCode: a.RegionCode}
	}
	for _, field := range []struct {
		key string
		dst **time.Time
	}{{pf.start, &a.ClassifiedFrom}, {pf.end, &a.ClassifiedUntil}} {
		if field.key == "" || prop(f, field.key) == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, prop(f, field.key))
		if err != nil {
			return verr(pf.path, 0, field.key, "%s: %q is not a date", a.Name, prop(f, field.key))
		}
		*field.dst = &t
	}
	return nil
}

// checkCounts compares the areas per list and class with the counts the sources publish.
func (b *Bundle) checkCounts() error {
	var errs []error
	for _, s := range b.Sets {
		n, classes := 0, map[lagesbild.AreaClass]int{}
		for _, a := range b.Areas {
			if a.Set == s.Year {
				n++
				classes[a.Class]++
			}
		}
		if n != s.ExpectedCount {
			errs = append(errs, verr("area_sets.csv", 0, "area_count", "list %d: want %d areas, the year table has %d", s.Year, s.ExpectedCount, n))
		}
		for c, want := range s.ExpectedClass {
			if classes[c] != want {
				errs = append(errs, verr("area_sets.csv", 0, string(c), "list %d: want %d, the year table has %d", s.Year, want, classes[c]))
			}
		}
	}
	return errors.Join(errs...)
}
