package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/cql"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// OGC API – Features Part 3 (Filtering): queryables and the filter, filter-lang and filter-crs
// parameters of /items, in CQL2 text or JSON.

const schemaJSONType = "application/schema+json"

var filterConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
}

// queryablesRel is the link relation of a collection's queryables.
const queryablesRel = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

func (s *Server) handleOGCQueryables(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	c, err := s.collection(r, chi.URLParam(r, "collectionId"))
	if err != nil {
		return err
	}
	qs, err := s.Features.Queryables(r.Context(), c.ID)
	if err != nil {
		return err
	}
	props := map[string]any{}
	for _, q := range qs {
		p := map[string]any{"title": q.Name}
		if q.Description != "" {
			p["description"] = q.Description
		}
		switch q.Type {
		case cql.Date:
			p["type"], p["format"] = "string", "date"
		case cql.Timestamp:
			p["type"], p["format"] = "string", "date-time"
		case cql.Geometry:
			p["format"] = "geometry-" + strings.ToLower(c.GeometryType)
		default:
			p["type"] = string(q.Type)
		}
		props[q.Name] = p
	}
	href := s.ogcBase(r) + "/collections/" + url.PathEscape(c.ID) + "/queryables"
	writeJSON(w, http.StatusOK, schemaJSONType, map[string]any{
		"$schema":              "https://json-schema.org/draft/2019-09/schema",
		"$id":                  href,
		"type":                 "object",
		"title":                c.Title,
		"properties":           props,
		"additionalProperties": false,
	})
	return nil
}

// parseFilter reads filter, filter-lang and filter-crs into fq, parsing the filter against the
// collection's queryables. A bad filter is a 400 naming the filter parameter, the position (a
// character of the text, or a JSON path) and the problem.
func (s *Server) parseFilter(r *http.Request, collection string, q url.Values, fq *lagesbild.FeatureQuery) error {
	lang := "cql2-text"
	if v, ok := q["filter-lang"]; ok {
		lang = v[0]
		if lang != "cql2-text" && lang != "cql2-json" {
			return lagesbild.Invalid("filter-lang", "%q is not offered; give cql2-text or cql2-json", truncate(lang, 40))
		}
	}
	crs, err := crsParam(q, "filter-crs")
	if err != nil {
		return err
	}
	v, ok := q["filter"]
	if !ok {
		if q.Has("filter-lang") || q.Has("filter-crs") {
			return lagesbild.Invalid("filter", "filter-lang or filter-crs is given without a filter")
		}
		return nil
	}
	qs, err := s.Features.Queryables(r.Context(), collection)
	if err != nil {
		return err
	}
	known := cql.Queryables{}
	for _, x := range qs {
		known[x.Name] = x.Type
	}
	var e cql.Expr
	if lang == "cql2-json" {
		e, err = cql.ParseJSON([]byte(v[0]), known)
	} else {
		e, err = cql.ParseText(v[0], known)
	}
	var ce *cql.Error
	if errors.As(err, &ce) {
		return lagesbild.Invalid("filter", "%s filter %s", lang, ce.Error())
	}
	if err != nil {
		return err
	}
	fq.Filter, fq.FilterCRS = e, crs
	return nil
}
