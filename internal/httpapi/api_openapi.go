package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// The OpenAPI 3 description of /api/v1 (GET /api/v1/openapi.json). The response schemas are
// generated from the Go types the handlers encode (kin-openapi's openapi3gen), so a field added
// to a type is in the document at once; every object is closed (additionalProperties: false), so
// a field the document does not know fails the test that validates real responses against it,
// and every property takes its description from apiFields, which the same test checks is
// complete. The operations are listed in apiOperations; a route of the router that is not there
// fails TestAPIMatchesOpenAPI.

// apiOp is one operation of /api/v1.
type apiOp struct {
	method, path, id, summary string
	// params names entries of apiParams (path parameters included).
	params []string
	// body is a value of the JSON request body's type, or nil.
	body any
	// status is the success status; resp a value of its JSON body's type (nil: no body).
	status int
	resp   any
	media  string // of resp; application/json by default
	// alt are other media types of the success response (CSV, HTML, GeoJSON), with schemas.
	alt map[string]*openapi3.Schema
	// altResp are other media types of the success response with a value of their body's type.
	altResp map[string]any
	// rawBody is a request body that is not JSON of a Go type (a file), or nil.
	rawBody *openapi3.RequestBody
	// errs are the error statuses besides 401, 403 and 500, which every operation can answer.
	errs []int
}

// Documentation types: the shapes of responses the handlers build from maps or anonymous structs.
type (
	areaSetsDoc struct {
		AreaSets []areaSetJSON `json:"area_sets"`
	}
	areaFeatureDoc struct {
		Type       string      `json:"type"`
		ID         string      `json:"id"`
		BBox       []float64   `json:"bbox,omitempty"`
		Geometry   geometryDoc `json:"geometry"`
		Properties areaProps   `json:"properties"`
	}
	areaCollectionDoc struct {
		Type        string           `json:"type"`
		Name        string           `json:"name,omitempty"`
		Features    []areaFeatureDoc `json:"features"`
		Attribution string           `json:"attribution,omitempty"`
	}
	boundaryPropsDoc struct {
		Kod        string     `json:"kod"`
		Namn       string     `json:"namn"`
		Befolkning *int64     `json:"befolkning"`
		LabelPoint [2]float64 `json:"label_point"`
		LanKod     string     `json:"lan_kod,omitempty"`
		RegionKod  string     `json:"region_kod,omitempty"`
	}
	boundaryFeatureDoc struct {
		Type       string           `json:"type"`
		ID         string           `json:"id"`
		BBox       []float64        `json:"bbox,omitempty"`
		Geometry   geometryDoc      `json:"geometry"`
		Properties boundaryPropsDoc `json:"properties"`
	}
	boundaryCollectionDoc struct {
		Type        string               `json:"type"`
		Name        string               `json:"name,omitempty"`
		Features    []boundaryFeatureDoc `json:"features"`
		Attribution string               `json:"attribution,omitempty"`
	}
	profilesDoc struct {
		Profiles []lagesbild.WeightProfile `json:"profiles"`
		Default  map[string]float64        `json:"default"`
	}
	operationsDoc struct {
		AreaID     string          `json:"area_id"`
		Operations []operationJSON `json:"operations"`
	}
	importDoc struct {
		Report  lagesbild.ImportReport `json:"report"`
		Rejects *rejectLink            `json:"rejects,omitempty"`
	}
	importRejectedDoc struct {
		Error   apiErrorBody           `json:"error"`
		Report  lagesbild.ImportReport `json:"report"`
		Rejects *rejectLink            `json:"rejects,omitempty"`
	}
	apiErrorBody struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Parameter string `json:"parameter,omitempty"`
		RequestID string `json:"request_id,omitempty"`
	}
	apiErrorDoc struct {
		Error apiErrorBody `json:"error"`
	}
	loginDoc struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	newUserDoc struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Password    string `json:"password"`
		Role        string `json:"role"`
		Scope       string `json:"scope"`
		Agency      string `json:"agency"` // myndighet: the agency (skv, fk, ...); police roles: pm
	}
	newTokenDoc struct {
		Name    string   `json:"name"`
		Role    string   `json:"role"`
		Scope   string   `json:"scope"`
		Layers  []string `json:"layers"`
		MaxRes  int      `json:"max_res"`
		Expires string   `json:"expires"`
		Agency  string   `json:"agency"` // myndighet: the agency; police roles: pm
	}
	profileBodyDoc struct {
		RegionCode  string             `json:"region_code"`
		Description string             `json:"description"`
		Weights     map[string]float64 `json:"weights"`
	}
	apiRootDoc struct {
		Title       string        `json:"title"`
		Description string        `json:"description"`
		Links       []apiLinkJSON `json:"links"`
	}
	// geometryDoc stands for a GeoJSON geometry (RFC 7946) in WGS84.
	geometryDoc struct{}
	// emergingLayerDoc is the GeoJSON layer of an emerging hot-spot analysis.
	emergingLayerDoc struct{}
	// hotCellsDoc is the GeoJSON of a summary's hot cells.
	hotCellsDoc struct{}
)

// apiLinkJSON is a link of the API root.
type apiLinkJSON struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type"`
	Title string `json:"title"`
}

const csvMedia = "text/csv"

var csvSchema = &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "CSV with a header row (UTF-8, comma-separated)."}

// apiOperations lists every operation of /api/v1 (the router's routes; the test compares them),
// the joint lägesbild's (samverkan_openapi.go) last.
func apiOperations() []apiOp {
	return append(coreOperations(), samverkanOperations()...)
}

func coreOperations() []apiOp {
	html := map[string]*openapi3.Schema{"text/html": {Type: &openapi3.Types{"string"}, Description: "A printable HTML page."}}
	withCSV := map[string]*openapi3.Schema{csvMedia: csvSchema}
	emergingGeo := map[string]*openapi3.Schema{geojsonType: nil} // filled with emergingLayerDoc's schema
	return []apiOp{
		{method: "GET", path: "/", id: "getAPIRoot", summary: "Links to this description, the OGC API and the main resources.", status: 200, resp: apiRootDoc{}},
		{method: "GET", path: "/openapi.json", id: "getOpenAPI", summary: "This OpenAPI 3 document.", status: 200, resp: map[string]any{}, media: "application/vnd.oai.openapi+json"},
		{method: "POST", path: "/session", id: "login", summary: "Log in with a user name and password; sets the session cookie. Rate-limited (429 with Retry-After).",
			body: loginDoc{}, status: 200, resp: me{}, errs: []int{400, 429}},
		{method: "DELETE", path: "/session", id: "logout", summary: "Log out: ends the session and clears its cookie.", status: 204},
		{method: "GET", path: "/me", id: "getMe", summary: "The caller: role, scope, layers, and the CSRF token a session must send with writes.", status: 200, resp: me{}},
		{method: "GET", path: "/admin/users", id: "listUsers", summary: "Accounts (admin).", status: 200, resp: []userView{}},
		{method: "POST", path: "/admin/users", id: "createUser", summary: "Create an account (admin).", body: newUserDoc{}, status: 201, resp: userView{}, errs: []int{400, 409}},
		{method: "POST", path: "/admin/users/{name}/disable", id: "disableUser", summary: "Disable an account and end its sessions (admin).", params: []string{"name"}, status: 204, errs: []int{400, 404}},
		{method: "GET", path: "/admin/tokens", id: "listTokens", summary: "API tokens, without their secrets (admin).", status: 200, resp: []tokenView{}},
		{method: "POST", path: "/admin/tokens", id: "createToken", summary: "Create an API token; the response is the only place its secret is shown (admin).", body: newTokenDoc{}, status: 201, resp: tokenView{}, errs: []int{400}},
		{method: "DELETE", path: "/admin/tokens/{id}", id: "revokeToken", summary: "Revoke an API token at once (admin).", params: []string{"tokenId"}, status: 204, errs: []int{400, 404}},
		{method: "GET", path: "/admin/audit", id: "getAuditLog", summary: "The audit log, newest first (admin).",
			params: []string{"since", "until", "subject", "action", "resource", "auditLimit"}, status: 200, resp: []auth.AuditEntry{}, errs: []int{400}},
		{method: "POST", path: "/imports", id: "importFile", summary: "Import one file given as the request body (admin). Atomic: 422 with the report when records were rejected and nothing was stored.",
			params: []string{"kind", "importFormat", "source", "skip_invalid", "file"}, status: 200, resp: importDoc{}, errs: []int{400, 408, 413, 422}},
		{method: "GET", path: "/imports/rejects/{id}", id: "getImportRejects", summary: "The full list of an import's rejected records as CSV, kept an hour for the user who imported (admin).",
			params: []string{"rejectsId"}, status: 200, alt: withCSV, errs: []int{404}},
		{method: "GET", path: "/area-sets", id: "listAreaSets", summary: "The police's lists of utsatta områden (2015–2025).", status: 200, resp: areaSetsDoc{}},
		{method: "GET", path: "/areas", id: "listAreas", summary: "The areas of one list in the caller's scope, as GeoJSON in WGS84.", params: []string{"set"}, status: 200, resp: areaCollectionDoc{}, media: geoJSON, errs: []int{400, 404}},
		{method: "GET", path: "/areas/{id}", id: "getArea", summary: "One area as a GeoJSON feature.", params: []string{"areaId"}, status: 200, resp: areaFeatureDoc{}, media: geoJSON, errs: []int{400, 404}},
		{method: "GET", path: "/kommuner", id: "listKommuner", summary: "Kommun boundaries (SCB, generalised) with population.", status: 200, resp: boundaryCollectionDoc{}, media: geoJSON},
		{method: "GET", path: "/lan", id: "listLan", summary: "Län boundaries (SCB, generalised) with population.", status: 200, resp: boundaryCollectionDoc{}, media: geoJSON},
		{method: "GET", path: "/polisregioner", id: "listPoliceRegions", summary: "Police regions (derived from the län) with population.", status: 200, resp: boundaryCollectionDoc{}, media: geoJSON},
		{method: "GET", path: "/areas/{id}/summary", id: "getAreaSummary", summary: "One area's summary: counts, rates, trend, change, CompStat comparisons, LQ, hot spots, presence; JSON or CSV.",
			params: []string{"areaId", "from", "to", "format"}, status: 200, resp: jointSummary{}, alt: withCSV, errs: []int{400, 404}},
		{method: "GET", path: "/areas/{id}/report", id: "getAreaReport", summary: "One area's printable report (HTML), with the effect follow-up of its latest operations.",
			params: []string{"areaId", "from", "to", "format"}, status: 200, alt: html, errs: []int{400, 404}},
		{method: "GET", path: "/summaries", id: "listSummaries", summary: "The summary of every area of a list in the caller's scope; JSON or CSV.",
			params: []string{"set", "region", "from", "to", "format"}, status: 200, resp: summary.List{}, alt: withCSV, errs: []int{400, 404}},
		{method: "GET", path: "/priority", id: "getPriority", summary: "The joint prioritisation: areas ranked by weighted components (an analyst tool, not a public ranking); JSON or CSV.",
			params: []string{"set", "region", "from", "to", "format", "weights", "profile", "normalization"}, status: 200, resp: jointPriority{}, alt: withCSV, errs: []int{400, 404}},
		{method: "GET", path: "/priority/profiles", id: "listWeightProfiles", summary: "Saved weightings of the prioritisation the caller may use, and the default weights.", status: 200, resp: profilesDoc{}},
		{method: "PUT", path: "/priority/profiles/{name}", id: "saveWeightProfile", summary: "Save a weighting (national for nationell, a region's for its regional analysts).",
			params: []string{"profileName"}, body: profileBodyDoc{}, status: 204, errs: []int{400}},
		{method: "DELETE", path: "/priority/profiles/{name}", id: "deleteWeightProfile", summary: "Delete a saved weighting.", params: []string{"profileName"}, status: 204, errs: []int{400, 404}},
		{method: "GET", path: "/compstat", id: "getCompStat", summary: "CompStat period comparisons of an area, kommun or lokalpolisområde: 28 days, 3 months and year to date against the previous period and the same period last year; JSON or CSV.",
			params: []string{"level", "unitId", "preset", "set", "to", "format"}, status: 200, resp: summary.CompStat{}, alt: withCSV, errs: []int{400, 404}},
		{method: "GET", path: "/deviations", id: "listDeviations", summary: "Avvikelser: areas and res-8 cells whose latest week or 28 days exceed the upper 99 % Poisson limit of their own baseline.",
			params: []string{"set", "window", "to", "region", "kommun", "cells"}, status: 200, resp: summary.Deviations{}, errs: []int{400, 404}},
		{method: "GET", path: "/period", id: "getDefaultPeriod", summary: "The default period: the 12 months ending on the newest day with incidents.", status: 200, resp: summary.PeriodJSON{}, errs: []int{404}},
		{method: "GET", path: "/areas/{id}/time-profile", id: "getTimeProfile", summary: "Weekday × hour counts of an area's exact incidents (Swedish local time), per group and in total, with linked-table suppression.",
			params: []string{"areaId", "from", "to", "group"}, status: 200, resp: analysis.TimeProfile{}, errs: []int{400, 404}},
		{method: "GET", path: "/areas/{id}/emerging-hot-spots", id: "getAreaEmergingHotSpots", summary: "Emerging hot spots (Gi* per month over the kommun grid, Mann-Kendall on each cell's z-scores) of an area's kommun; JSON or the GeoJSON layer.",
			params: []string{"areaId", "to", "months", "group", "emergingFormat"}, status: 200, resp: analysis.Emerging{}, alt: emergingGeo, errs: []int{400, 404}},
		{method: "GET", path: "/emerging-hot-spots", id: "getRegionEmergingHotSpots", summary: "Emerging hot spots over every kommun with areas in a police region; JSON or the GeoJSON layer.",
			params: []string{"regionRequired", "to", "months", "group", "emergingFormat"}, status: 200, resp: analysis.Emerging{}, alt: emergingGeo, errs: []int{400, 404}},
		{method: "GET", path: "/areas/{id}/near-repeat", id: "getAreaNearRepeat", summary: "The Knox test for near repeats of a group's exact incidents in an area (roles that may see points).",
			params: []string{"areaId", "from", "to", "group", "space_band_m", "space_bands", "time_band_days", "time_bands", "permutations", "seed"}, status: 200, resp: analysis.NearRepeat{}, errs: []int{400, 404}},
		{method: "GET", path: "/kommuner/{code}/near-repeat", id: "getKommunNearRepeat", summary: "The Knox test for near repeats of a group's exact incidents in a kommun (roles that may see points).",
			params: []string{"kommunCode", "from", "to", "group", "space_band_m", "space_bands", "time_band_days", "time_bands", "permutations", "seed"}, status: 200, resp: analysis.NearRepeat{}, errs: []int{400, 404}},
		{method: "GET", path: "/areas/{id}/operations", id: "listAreaOperations", summary: "The operations (insatser) on an area, each with the link to its effect follow-up.",
			params: []string{"areaId"}, status: 200, resp: operationsDoc{}, errs: []int{400, 404}},
		{method: "GET", path: "/operations/{id}/effect", id: "getOperationEffect", summary: "Effect follow-up of an operation: difference in differences against chosen control areas and the weighted displacement quotient of a buffer.",
			params: []string{"operationId", "group", "buffer_m", "controls", "pre_months"}, status: 200, resp: analysis.EffectFollowUp{}, errs: []int{400, 404}},
	}
}

func strSchema(desc string) *openapi3.Schema {
	return &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: desc}
}

func intSchema(desc string, lo, hi float64) *openapi3.Schema {
	return &openapi3.Schema{Type: &openapi3.Types{"integer"}, Description: desc, Min: &lo, Max: &hi}
}

func enumSchema(desc string, values ...string) *openapi3.Schema {
	s := strSchema(desc)
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

// apiParam is a parameter: its name in the request, where it is, and its schema.
type apiParam struct {
	name, in string
	required bool
	schema   *openapi3.Schema
}

func dateSchema(desc string) *openapi3.Schema {
	s := strSchema(desc + " (YYYY-MM-DD, 2000–2100)")
	s.Format = "date"
	return s
}

var apiParams = map[string]apiParam{
	"name":           {"name", "path", true, strSchema("A user name (a–z, 0–9, '.', '_', '-').")},
	"tokenId":        {"id", "path", true, intSchema("A token's id.", 1, 1<<53)},
	"rejectsId":      {"id", "path", true, strSchema("The id of a reject list, from the import's report (rejects.url).")},
	"areaId":         {"id", "path", true, strSchema("An area id: list year and area key, such as 2025-SO9.")},
	"kommunCode":     {"code", "path", true, strSchema("A kommun code, such as 0180.")},
	"operationId":    {"id", "path", true, intSchema("An operation's id (from /areas/{id}/operations).", 1, 1<<53)},
	"profileName":    {"name", "path", true, strSchema("A profile name (a–z, 0–9, '_', '-'; at most 63).")},
	"since":          {"since", "query", false, strSchema("Rows at or after this time (RFC 3339 or a date).")},
	"until":          {"until", "query", false, strSchema("Rows before this time (RFC 3339 or a date).")},
	"subject":        {"subject", "query", false, strSchema("Only rows of this subject (a user name, token:ID or jwt:SUB).")},
	"action":         {"action", "query", false, enumSchema("Only rows of this action.", auditActions...)},
	"resource":       {"resource", "query", false, strSchema("Only rows whose resource (request path) starts with this.")},
	"auditLimit":     {"limit", "query", false, intSchema("At most this many rows (default 100).", 1, 10000)},
	"kind":           {"kind", "query", true, enumSchema("What the file holds.", "incidents", "presence", "population")},
	"importFormat":   {"format", "query", false, enumSchema("The file's format: polisen, csv or geojson for incidents (required), csv or geojson for presence.", "polisen", "csv", "geojson")},
	"source":         {"source", "query", false, strSchema("The source the records are stored under (lower-case letters, digits, . _ : -; default the format).")},
	"skip_invalid":   {"skip_invalid", "query", false, &openapi3.Schema{Type: &openapi3.Types{"boolean"}, Description: "Store the valid records and report the rejected ones instead of rejecting the file."}},
	"file":           {"file", "query", false, strSchema("The file's name for the report (letters, digits, space, dot, dash or underscore).")},
	"set":            {"set", "query", false, intSchema("The police list (year); default the newest.", 2015, 2100)},
	"region":         {"region", "query", false, strSchema("Only areas of this police region (REGIONKOD such as 5300).")},
	"regionRequired": {"region", "query", true, strSchema("A police region (REGIONKOD such as 5300).")},
	"kommun":         {"kommun", "query", false, strSchema("Only areas and cells of this kommun (code such as 0180).")},
	"from":           {"from", "query", false, dateSchema("First day of the period; default 12 months ending on the newest day with incidents")},
	"to":             {"to", "query", false, dateSchema("Last day of the period; default the newest day with incidents")},
	"format":         {"format", "query", false, enumSchema("json (default) or csv; Accept: text/csv also gives CSV.", "json", "csv")},
	"emergingFormat": {"format", "query", false, enumSchema("json (default) or geojson: the cells with a pattern as H3 polygons.", "json", "geojson")},
	"weights":        {"weights", "query", false, strSchema("Weights of the components, component:weight separated by commas (0–1000; only ratios matter).")},
	"profile":        {"profile", "query", false, strSchema("A saved weight profile's name (see /priority/profiles).")},
	"normalization":  {"normalization", "query", false, enumSchema("How components are put on one scale before weighting: percent rank (default) or z-score.", "percent_rank", "zscore")},
	"level":          {"level", "query", true, enumSchema("The unit's level.", summary.LevelArea, summary.LevelKommun, summary.LevelLPO)},
	"unitId":         {"id", "query", true, strSchema("The unit: an area id (2025-SO9), a kommun code (0180) or a lokalpolisområde code (531350).")},
	"preset":         {"preset", "query", false, enumSchema("One preset only; default all three.", summary.Presets...)},
	"window":         {"window", "query", false, enumSchema("The latest 7 days (week, default) or 28 days (month) against the 364 days before.", summary.WindowWeek, summary.WindowMonth)},
	"cells":          {"cells", "query", false, &openapi3.Schema{Type: &openapi3.Types{"boolean"}, Description: "Also list res-8 cells (default true)."}},
	"group":          {"group", "query", false, strSchema("One category group (docs/taxonomy.md); sensitive groups are refused.")},
	"months":         {"months", "query", false, intSchema("Number of whole months, ending with the last complete month (default 24).", risk.MinTrendPoints, analysis.MaxMonths)},
	"space_band_m":   {"space_band_m", "query", false, &openapi3.Schema{Type: &openapi3.Types{"number"}, Description: "Width of a space band in metres (default 100).", Min: ptrF(1), Max: ptrF(100_000)}},
	"space_bands":    {"space_bands", "query", false, intSchema("Number of space bands before \"further\" (default 5).", 1, risk.MaxKnoxBands)},
	"time_band_days": {"time_band_days", "query", false, intSchema("Width of a time band in days (default 7).", 1, 365)},
	"time_bands":     {"time_bands", "query", false, intSchema("Number of time bands before \"later\" (default 4).", 1, risk.MaxKnoxBands)},
	"permutations":   {"permutations", "query", false, intSchema("Monte Carlo permutations (default 999).", risk.MinKnoxPermutations, risk.MaxKnoxPermutations)},
	"seed":           {"seed", "query", false, &openapi3.Schema{Type: &openapi3.Types{"integer"}, Description: "Seed of the permutations (default 1): the same seed gives the same answer.", Min: ptrF(0)}},
	"buffer_m":       {"buffer_m", "query", false, &openapi3.Schema{Type: &openapi3.Types{"number"}, Description: "Width of the displacement buffer around the area in metres (default 500).", Min: ptrF(50), Max: ptrF(analysis.MaxBufferM)}},
	"controls":       {"controls", "query", false, intSchema("Number of control areas (default 5).", 1, analysis.MaxControls)},
	"pre_months":     {"pre_months", "query", false, intSchema("Whole months before the start (default 12).", 3, 36)},
}

func ptrF(v float64) *float64 { return &v }

// apiGen generates the schemas of Go types into one set of components.
type apiGen struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
	missing map[string]bool // property names without a description in apiFields
	// nullable are the names of fields that hold a pointer to a struct and may be null: the
	// generator's shared component of the struct cannot say so, the reference to it must.
	nullable map[string]bool
}

// findNullable records in g.nullable the fields of t (and the types inside it) that are a
// pointer to a struct without omitempty.
func (g *apiGen) findNullable(t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && !strings.Contains(opts, "omitempty") {
			g.nullable[name] = true
		}
		g.findNullable(f.Type, seen)
	}
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	fcType         = reflect.TypeFor[geojson.FeatureCollection]()
)

// geoJSONSchema is a GeoJSON object of the given type (RFC 7946).
func geoJSONSchema(typ string, props map[string]*openapi3.Schema, desc string) *openapi3.Schema {
	geom := &openapi3.Schema{Type: &openapi3.Types{"object"}, Nullable: true, Description: apiFields["geometry"],
		Properties: openapi3.Schemas{"type": openapi3.NewSchemaRef("", strSchema(apiFields["type"])),
			"coordinates": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Description: apiFields["coordinates"],
				Items: openapi3.NewSchemaRef("", &openapi3.Schema{})}),
			"geometries": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Description: "The geometries of a GeometryCollection.",
				Items: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"object"}})})},
		Required: []string{"type"}}
	p := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{}, Description: apiFields["properties"]}
	for k, v := range props {
		p.Properties[k] = openapi3.NewSchemaRef("", v)
	}
	if props != nil {
		p.AdditionalProperties = openapi3.AdditionalProperties{Has: ptrB(false)}
	}
	feature := &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"type", "geometry", "properties"}, Properties: openapi3.Schemas{
		"type":       openapi3.NewSchemaRef("", enumSchema(apiFields["type"], "Feature")),
		"id":         openapi3.NewSchemaRef("", &openapi3.Schema{Description: apiFields["id"]}),
		"bbox":       openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Description: apiFields["bbox"], Items: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"number"}})}),
		"geometry":   openapi3.NewSchemaRef("", geom),
		"properties": openapi3.NewSchemaRef("", p),
	}}
	if typ == "Feature" {
		feature.Description = desc
		return feature
	}
	return &openapi3.Schema{Type: &openapi3.Types{"object"}, Description: desc, Required: []string{"type", "features"}, Nullable: true, Properties: openapi3.Schemas{
		"type":     openapi3.NewSchemaRef("", enumSchema(apiFields["type"], "FeatureCollection")),
		"bbox":     openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Description: apiFields["bbox"], Items: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"number"}})}),
		"features": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Nullable: true, Description: apiFields["features"], Items: openapi3.NewSchemaRef("", feature)}),
	}}
}

func ptrB(b bool) *bool { return &b }

func numSchema(desc string) *openapi3.Schema {
	return &openapi3.Schema{Type: &openapi3.Types{"number"}, Description: desc, Nullable: true}
}

// emergingLayerSchema is the GeoJSON of analysis.EmergingGeoJSON.
func emergingLayerSchema() *openapi3.Schema {
	return geoJSONSchema("FeatureCollection", map[string]*openapi3.Schema{
		"cell": strSchema(apiFields["cell"]), "kommun_code": strSchema(apiFields["kommun_code"]),
		"category":   strSchema(apiFields["category"]),
		"hot_months": intSchema(apiFields["hot_months"], 0, 1200), "cold_months": intSchema(apiFields["cold_months"], 0, 1200),
		"trend_z": numSchema(apiFields["trend_z"]), "trend_p": numSchema(apiFields["trend_p"]), "final_z": numSchema(apiFields["final_z"]),
		"in_area": {Type: &openapi3.Types{"boolean"}, Description: apiFields["in_area"]},
		"group":   strSchema(apiFields["group"]),
	}, "The cells with a pattern as H3 polygons in WGS84, with their category (no counts).")
}

// hotCellsSchema is the GeoJSON of a summary's hot cells (summary.HotSpots.Cells).
func hotCellsSchema() *openapi3.Schema {
	return geoJSONSchema("FeatureCollection", map[string]*openapi3.Schema{
		"h3": strSchema(apiFields["h3"]), "z": numSchema(apiFields["z"]), "p": numSchema(apiFields["p"]),
		"level": intSchema(apiFields["level"], 0, 99),
	}, apiFields["cells"])
}

func newAPIGen() *apiGen {
	g := &apiGen{schemas: openapi3.Schemas{}, missing: map[string]bool{}, nullable: map[string]bool{}}
	g.gen = openapi3gen.NewGenerator(
		openapi3gen.UseAllExportedFields(),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true}),
		openapi3gen.CreateTypeNameGenerator(func(t reflect.Type) string {
			if t.Name() == "" {
				return "" // an anonymous struct: inlined
			}
			return path.Base(t.PkgPath()) + "." + t.Name()
		}),
		openapi3gen.SchemaCustomizer(g.customize))
	return g
}

// customize closes objects, lets slices and maps be null (a nil slice is encoded as null), gives
// GeoJSON its schema and takes descriptions from apiFields.
func (g *apiGen) customize(name string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
	switch {
	case t == rawMessageType || t == reflect.TypeFor[geometryDoc]():
		*s = *geoJSONSchema("Feature", nil, "").Properties["geometry"].Value
	case t == fcType && name == "cells", t == reflect.TypeFor[hotCellsDoc]():
		*s = *hotCellsSchema()
	case t == reflect.TypeFor[emergingLayerDoc]():
		*s = *emergingLayerSchema()
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
		s.Nullable = true
	case t.Kind() == reflect.Interface:
		s.Nullable = true // any JSON value
	case t.Kind() == reflect.Struct && s.Properties != nil:
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: ptrB(false)}
	case t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Float64:
		n := uint64(t.Len())
		*s = openapi3.Schema{Type: &openapi3.Types{"array"}, MinItems: n, MaxItems: &n, Items: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"number"}})}
	}
	return nil
}

// describe gives every property of s (and of the schemas inside it) its description from
// apiFields, wrapping a reference in allOf so that the description stays beside it, and
// records the names that have none.
func (g *apiGen) describe(s *openapi3.Schema, seen map[*openapi3.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	for name, p := range s.Properties {
		if p == nil {
			continue
		}
		d, ok := apiFields[name]
		if !ok {
			g.missing[name] = true
		}
		switch {
		case p.Ref != "" && (ok || g.nullable[name]):
			s.Properties[name] = openapi3.NewSchemaRef("", &openapi3.Schema{AllOf: openapi3.SchemaRefs{p}, Description: d, Nullable: g.nullable[name]})
		case p.Value != nil && p.Value.Description == "" && ok:
			p.Value.Description = d
		}
		g.describe(p.Value, seen)
	}
	if s.Items != nil {
		g.describe(s.Items.Value, seen)
	}
	if s.AdditionalProperties.Schema != nil {
		g.describe(s.AdditionalProperties.Schema.Value, seen)
	}
	for _, a := range s.AllOf {
		g.describe(a.Value, seen)
	}
}

// schemaFor is the schema of v's type, its named types added to the components.
func (g *apiGen) schemaFor(v any) (*openapi3.SchemaRef, error) {
	ref, err := g.gen.NewSchemaRefForValue(v, g.schemas)
	if err != nil {
		return nil, fmt.Errorf("httpapi: openapi schema of %T: %w", v, err)
	}
	return ref, nil
}

var (
	apiDocOnce sync.Once
	apiDocJSON []byte
	apiDocErr  error
	// apiUndescribed are the property names without an entry in apiFields (for the test).
	apiUndescribed []string
)

// APIDocument is the OpenAPI 3 document of /api/v1 with the server URL left relative
// ("/api/v1"), generated once.
func APIDocument() ([]byte, []string, error) {
	apiDocOnce.Do(func() {
		doc, missing, err := buildAPIDocument()
		if err != nil {
			apiDocErr = err
			return
		}
		apiUndescribed = missing
		apiDocJSON, apiDocErr = json.Marshal(doc)
	})
	return apiDocJSON, apiUndescribed, apiDocErr
}

func buildAPIDocument() (*openapi3.T, []string, error) {
	g := newAPIGen()
	errSchema, err := g.schemaFor(apiErrorDoc{})
	if err != nil {
		return nil, nil, err
	}
	errResp := func(desc string) *openapi3.ResponseRef {
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
			WithContent(openapi3.NewContentWithJSONSchemaRef(errSchema))}
	}
	errDesc := map[int]string{
		400: "A parameter or the body is wrong; error.parameter names it.",
		401: "No valid session or token.",
		403: "The caller's role may not do this, or the resource lies outside the caller's scope.",
		404: "No such resource.",
		408: "The upload stalled.",
		409: "It exists already.",
		413: "The file is larger than an upload may be.",
		429: "Too many attempts; see Retry-After.",
		500: "Server error; quote error.request_id.",
		503: "The database or the audit log is unavailable (see Retry-After); no data is sent.",
	}
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "Lägesbild API", Version: "1.0.0",
			Description: "The analysts' API of Lägesbild: areas, summaries, the joint prioritisation, CompStat comparisons, deviations and the analyst's tools " +
				"(time profile, emerging hot spots, near repeat, effect follow-up), and the joint lägesbild of the agencies (tag samverkan: samverkansbeslut, observations, " +
				"the disclosure log, the samverkansråd region report). Every route but POST /session needs a session cookie (with X-CSRF-Token on writes) " +
				"or an API token (Authorization: Bearer lgb_…), is limited to the caller's role and scope, and is audit-logged. Counts 1–4 are never shown " +
				"(null with a reason). Synthetic demo data says so (source synthetic-demo). Map layers and GIS access: the OGC API at /ogc (its own description at /ogc/api)."},
		Servers: openapi3.Servers{{URL: "/api/v1"}},
		Paths:   openapi3.NewPaths(),
		Components: &openapi3.Components{
			SecuritySchemes: openapi3.SecuritySchemes{
				"session": {Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("cookie").WithName(sessionCookie)},
				"token":   {Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer")},
			},
		},
		Security: openapi3.SecurityRequirements{{"session": {}}, {"token": {}}},
		Tags: openapi3.Tags{{Name: samverkanTag, Description: "The joint lägesbild: another agency's data is shared only under a valid samverkansbeslut " +
			"(lag (2016:774)) that both agencies take part in and that covers the place, and every such read is in the disclosure log."}},
	}
	samverkanIDs := map[string]bool{}
	for _, op := range samverkanOperations() {
		samverkanIDs[op.id] = true
	}
	for _, op := range apiOperations() {
		o := openapi3.NewOperation()
		o.OperationID, o.Summary = op.id, op.summary
		if samverkanIDs[op.id] {
			o.Tags = []string{samverkanTag}
		}
		for _, name := range op.params {
			p, ok := apiParams[name]
			if !ok {
				p, ok = samverkanParams[name]
			}
			if !ok {
				return nil, nil, fmt.Errorf("httpapi: openapi: %s %s: no parameter %q", op.method, op.path, name)
			}
			param := &openapi3.Parameter{Name: p.name, In: p.in, Required: p.required, Description: p.schema.Description,
				Schema: openapi3.NewSchemaRef("", p.schema)}
			o.AddParameter(param)
		}
		if op.body != nil {
			ref, err := g.schemaFor(op.body)
			if err != nil {
				return nil, nil, err
			}
			o.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithContent(openapi3.NewContentWithJSONSchemaRef(ref))}
		}
		if op.rawBody != nil {
			o.RequestBody = &openapi3.RequestBodyRef{Value: op.rawBody}
		}
		if op.path == "/imports" {
			o.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithDescription("The file: Polisen events JSON, CSV or GeoJSON as kind and format say.").
				WithContent(openapi3.Content{"*/*": openapi3.NewMediaType().WithSchema(&openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"})})}
		}
		ok := openapi3.NewResponse().WithDescription(op.summary)
		if op.resp != nil {
			g.findNullable(reflect.TypeOf(op.resp), map[reflect.Type]bool{})
			ref, err := g.schemaFor(op.resp)
			if err != nil {
				return nil, nil, err
			}
			media := op.media
			if media == "" {
				media = "application/json"
			}
			ok.Content = openapi3.Content{media: openapi3.NewMediaType().WithSchemaRef(ref)}
		}
		for media, v := range op.altResp {
			g.findNullable(reflect.TypeOf(v), map[reflect.Type]bool{})
			ref, err := g.schemaFor(v)
			if err != nil {
				return nil, nil, err
			}
			if ok.Content == nil {
				ok.Content = openapi3.Content{}
			}
			ok.Content[media] = openapi3.NewMediaType().WithSchemaRef(ref)
		}
		for media, s := range op.alt {
			if ok.Content == nil {
				ok.Content = openapi3.Content{}
			}
			if s == nil && media == geojsonType {
				s = emergingLayerSchema()
			}
			ok.Content[media] = openapi3.NewMediaType().WithSchema(s)
		}
		o.AddResponse(op.status, ok)
		statuses := append([]int{401, 403, 500, 503}, op.errs...)
		if op.path == "/session" && op.method == "POST" {
			statuses = []int{400, 401, 429, 500, 503}
		}
		for _, st := range statuses {
			if st == 422 {
				var rejected any = importRejectedDoc{}
				if samverkanIDs[op.id] {
					rejected = observationRejectedDoc{}
				}
				ref, err := g.schemaFor(rejected)
				if err != nil {
					return nil, nil, err
				}
				o.AddResponse(st, openapi3.NewResponse().WithDescription("Records were rejected; nothing was stored. The report names file, line, field and reason.").
					WithContent(openapi3.NewContentWithJSONSchemaRef(ref)))
				continue
			}
			o.Responses.Set(fmt.Sprint(st), errResp(errDesc[st]))
		}
		if op.path == "/session" && op.method == "POST" {
			o.Security = &openapi3.SecurityRequirements{}
		}
		doc.AddOperation(op.path, op.method, o)
	}
	doc.Components.Schemas = g.schemas
	seen := map[*openapi3.Schema]bool{}
	for _, name := range slices.Sorted(maps.Keys(g.schemas)) {
		g.describe(g.schemas[name].Value, seen)
	}
	for _, pi := range doc.Paths.Map() {
		for _, o := range pi.Operations() {
			if o.RequestBody != nil {
				for _, mt := range o.RequestBody.Value.Content {
					g.describe(mt.Schema.Value, seen)
				}
			}
			for _, rr := range o.Responses.Map() {
				if rr.Value != nil {
					for _, mt := range rr.Value.Content {
						if mt.Schema != nil {
							g.describe(mt.Schema.Value, seen)
						}
					}
				}
			}
		}
	}
	var missing []string
	for name := range g.missing {
		missing = append(missing, name)
	}
	sort.Strings(missing)
	return doc, missing, nil
}

// handleAPIDocument serves the OpenAPI document of /api/v1 with this server's URL.
func (s *Server) handleAPIDocument(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	b, _, err := APIDocument()
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("httpapi: openapi: %w", err)
	}
	doc["servers"] = []map[string]string{{"url": s.baseURL(r) + "/api/v1"}}
	writeJSON(w, http.StatusOK, openAPIType, doc)
	return nil
}

// handleAPIRoot links the API's description and main resources.
func (s *Server) handleAPIRoot(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	base := s.baseURL(r)
	writeJSON(w, http.StatusOK, "application/json", apiRootDoc{
		Title:       "Lägesbild API",
		Description: "Areas, summaries, prioritisation, CompStat, deviations and the analyst's tools. Described by the OpenAPI document linked as service-desc.",
		Links: []apiLinkJSON{
			{Href: base + "/api/v1/openapi.json", Rel: "service-desc", Type: openAPIType, Title: "OpenAPI 3 description of /api/v1"},
			{Href: base + "/api/v1/area-sets", Rel: "data", Type: "application/json", Title: "The police lists of utsatta områden"},
			{Href: base + "/api/v1/areas", Rel: "data", Type: geoJSON, Title: "The areas of the newest list"},
			{Href: base + "/ogc", Rel: "related", Type: "application/json", Title: "OGC API – Features and Tiles"},
		},
	})
	return nil
}

// apiDocRoutes adds GET /api/v1/ and /api/v1/openapi.json (inside the authenticated group: the
// API root and its description are for callers of the API).
func (s *Server) apiDocRoutes(r chi.Router) {
	r.Get("/", s.handle(s.handleAPIRoot))
	r.Get("/openapi.json", s.handle(s.handleAPIDocument))
}
