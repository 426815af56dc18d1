package httpapi

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// The joint lägesbild's part of the OpenAPI document of /api/v1 (samverkan.go,
// samverkan_region.go): samverkansbeslut, observations, their categories, the disclosure log
// and the samverkansråd region report. Its operations carry the tag samverkanTag; they exist
// only when the server has a samverkan.Service.

const samverkanTag = "samverkan"

// Documentation types of the joint lägesbild's responses (built from maps by the handlers).
type (
	decisionListDoc struct {
		Decisions []decisionView `json:"decisions"`
	}
	decisionDoc struct {
		Decision decisionView `json:"decision"`
		// History is every version of the decision, oldest first (admins only).
		History []lagesbild.DecisionChange `json:"history,omitempty"`
	}
	observationListDoc struct {
		Observations []observationView      `json:"observations"`
		Note         string                 `json:"note"`
		Disclosed    []samverkan.Disclosure `json:"disclosed"`
	}
	observationFeatureDoc struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   geometryDoc     `json:"geometry"`
		Properties observationView `json:"properties"`
	}
	observationCollectionDoc struct {
		Type      string                  `json:"type"`
		Features  []observationFeatureDoc `json:"features"`
		Note      string                  `json:"note"`
		Disclosed []samverkan.Disclosure  `json:"disclosed"`
	}
	observationCategoriesDoc struct {
		Categories []lagesbild.ObservationCategory `json:"categories"`
	}
	areaObservationsDoc struct {
		AreaID       string             `json:"area_id"`
		From         string             `json:"from"`
		To           string             `json:"to"`
		Observations *samverkan.Picture `json:"observations"`
	}
	disclosureListDoc struct {
		Agency      string                 `json:"agency"`
		Disclosures []lagesbild.Disclosure `json:"disclosures"`
		Note        string                 `json:"note"`
	}
	observationRejectedDoc struct {
		Error   apiErrorBody           `json:"error"`
		Report  lagesbild.ImportReport `json:"report"`
		Rejects *rejectLink            `json:"rejects,omitempty"`
	}
)

// samverkanParams are the parameters of the joint lägesbild's operations (beside apiParams).
var samverkanParams = map[string]apiParam{
	"decision":         {"decision", "path", true, strSchema("A samverkansbeslut's id (letters, digits, '.', '_', '-'; at most 40), such as SB-2026-STHLM-1.")},
	"regionCode":       {"code", "path", true, strSchema("A police region (REGIONKOD 5100–5700, such as 5300).")},
	"obsFrom":          {"from", "query", false, dateSchema("Only observations on or after this day, Swedish time")},
	"obsTo":            {"to", "query", false, dateSchema("Only observations on or before this day, Swedish time")},
	"obsRegion":        {"region", "query", false, strSchema("Only observations in this police region (REGIONKOD 5100–5700).")},
	"obsArea":          {"area", "query", false, strSchema("Only observations in this area (an area id such as 2025-SO9).")},
	"obsAgency":        {"agency", "query", false, strSchema("Only this agency's observations (an agency code: pm, skv, fk, mv, kfm, ...).")},
	"obsCategory":      {"category", "query", false, strSchema("Only this category (a code of the agency's vocabulary, see /observation-categories).")},
	"obsKind":          {"kind", "query", false, enumSchema("Only records or only aggregated indicators.", lagesbild.ObservationRecord, lagesbild.ObservationIndicator)},
	"obsBBox":          {"bbox", "query", false, strSchema("Only observations in this box: minLon,minLat,maxLon,maxLat in WGS84.")},
	"obsLimit":         {"limit", "query", false, intSchema("At most this many observations (default 1000).", 1, 10000)},
	"obsFormat":        {"format", "query", false, enumSchema("json (default) or geojson: the observations as GeoJSON features.", "json", "geojson")},
	"obsSource":        {"source", "query", true, strSchema("The source the observations are stored under (the agency system or feed: lower-case letters, digits, . _ : -).")},
	"obsImportFormat":  {"format", "query", false, enumSchema("The body's format: csv (default) or geojson.", "csv", "geojson")},
	"disclosureAgency": {"agency", "query", false, strSchema("Whose data (an agency code). An agency's analyst reads only its own agency's (the default; another is 403); an admin any, or every agency's without it.")},
	"disclosureLimit":  {"limit", "query", false, intSchema("At most this many rows (default 1000).", 1, 10000)},
	"regionSet":        {"set", "query", false, intSchema("The police list (year); default 2025.", 2000, 2100)},
}

// samverkanOperations lists the operations of the joint lägesbild.
func samverkanOperations() []apiOp {
	html := map[string]*openapi3.Schema{"text/html": {Type: &openapi3.Types{"string"}, Description: "A printable HTML page."}}
	obsBody := &openapi3.RequestBody{Required: true,
		Description: "The observations as CSV (a header row: source_id, agency, kind, category, time, value, classification, decision, lat, lon, area_id or h3) or GeoJSON. " +
			"Atomic and idempotent: every record is checked before any is stored, and a record already stored (agency, source, source_id) is updated, not duplicated.",
		Content: openapi3.Content{
			csvMedia:               openapi3.NewMediaType().WithSchema(&openapi3.Schema{Type: &openapi3.Types{"string"}}),
			"application/geo+json": openapi3.NewMediaType().WithSchema(&openapi3.Schema{Type: &openapi3.Types{"object"}}),
		}}
	obs := []string{"obsFrom", "obsTo", "obsRegion", "obsArea", "obsAgency", "obsCategory", "obsKind", "obsBBox", "obsLimit", "obsFormat"}
	return []apiOp{
		{method: "GET", path: "/decisions", id: "listDecisions", summary: "The samverkansbeslut: every one to an admin, to others those their agency takes part in, each with its status now.",
			status: 200, resp: decisionListDoc{}},
		{method: "POST", path: "/decisions", id: "createDecision", summary: "Record a samverkansbeslut (admin); audited.",
			body: samverkan.DecisionInput{}, status: 201, resp: decisionView{}, errs: []int{400, 409}},
		{method: "GET", path: "/decisions/{decision}", id: "getDecision", summary: "One samverkansbeslut; to an admin with every version of it.",
			params: []string{"decision"}, status: 200, resp: decisionDoc{}, errs: []int{400, 404}},
		{method: "PUT", path: "/decisions/{decision}", id: "updateDecision", summary: "Change an unrevoked samverkansbeslut (admin); takes effect on the next request, audited with the previous version kept.",
			params: []string{"decision"}, body: samverkan.DecisionInput{}, status: 200, resp: decisionView{}, errs: []int{400, 404}},
		{method: "POST", path: "/decisions/{decision}/revoke", id: "revokeDecision", summary: "Revoke a samverkansbeslut at once (admin): what it shared is no longer shown, from the next request on.",
			params: []string{"decision"}, status: 200, resp: decisionView{}, errs: []int{400, 404}},
		{method: "GET", path: "/observations", id: "listObservations", summary: "The agencies' observations the caller may see: its own agency's, and another's only under a valid samverkansbeslut both take part in that covers the place; " +
			"each labelled with owner and basis, counts 1–4 of other agencies withheld, sensitive categories left out; every read of another agency's data is in the disclosure log.",
			params: obs, status: 200, resp: observationListDoc{}, altResp: map[string]any{geoJSON: observationCollectionDoc{}}, errs: []int{400}},
		{method: "POST", path: "/observations", id: "addObservations", summary: "Add observations (CSV or GeoJSON body): an agency's analyst its own agency's, an admin any agency's. 422 with the report, naming every bad record, when any was rejected and nothing was stored.",
			params: []string{"obsSource", "obsImportFormat"}, rawBody: obsBody, status: 200, resp: lagesbild.ImportReport{}, errs: []int{400, 413, 422}},
		{method: "GET", path: "/observations/rejects/{id}", id: "getObservationRejects", summary: "The full list of the records a POST /observations rejected, as CSV, kept an hour for the one who posted.",
			params: []string{"rejectsId"}, status: 200, alt: map[string]*openapi3.Schema{csvMedia: csvSchema}, errs: []int{404}},
		{method: "GET", path: "/observation-categories", id: "listObservationCategories", summary: "The agencies' vocabularies of observation categories (sensitive ones count only in totals).",
			status: 200, resp: observationCategoriesDoc{}},
		{method: "GET", path: "/areas/{id}/observations", id: "getAreaObservations", summary: "The observations part of one area's joint lägesbild: per agency and basis, totals and categories (counts 1–4 withheld).",
			params: []string{"areaId", "obsFrom", "obsTo"}, status: 200, resp: areaObservationsDoc{}, errs: []int{400, 404}},
		{method: "GET", path: "/disclosures", id: "listDisclosures", summary: "The disclosure log: what of an agency's data was disclosed to whom, when and under which samverkansbeslut, newest first.",
			params: []string{"disclosureAgency", "since", "until", "disclosureLimit"}, status: 200, resp: disclosureListDoc{}, errs: []int{400}},
		{method: "GET", path: "/regions/{code}/report", id: "getRegionReport", summary: "The printable samverkansråd lägesbild of a police region and period (HTML): areas, changes, the joint ranking, each agency's contribution, presence, operations and follow-up.",
			params: []string{"regionCode", "regionSet", "from", "to"}, status: 200, alt: html, errs: []int{400, 404}},
	}
}
