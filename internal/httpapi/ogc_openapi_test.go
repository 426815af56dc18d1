package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// TestOGCMatchesOpenAPI loads the published OpenAPI document with kin-openapi, validates it,
// and checks requests and responses of every kind of OGC resource against it: parameters the
// handlers take must be described, and answers must have the schemas the document promises.
func TestOGCMatchesOpenAPI(t *testing.T) {
	srv, _ := ogcServer(t)
	resp, body := ogcGet(t, srv.URL+"/ogc/api")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/ogc/api: %d %s", resp.StatusCode, body)
	}
	ctx := context.Background()
	_, router := loadOpenAPI(t, body)
	// The validator bites: a landing page whose links are not an array is refused.
	{
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ogc/", nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		h := http.Header{"Content-Type": {"application/json"}}
		if err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
			Status: 200, Header: h, Body: io.NopCloser(bytes.NewReader([]byte(`{"links": 5}`)))}); err == nil {
			t.Fatal("a landing page with links: 5 passed the validation")
		}
	}
	filter := url.QueryEscape("namn LIKE 'S%' AND befolkning > 10000")
	for _, path := range []string{
		"/ogc/", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/kommuner",
		"/ogc/collections/kommuner/queryables", "/ogc/collections/narvaro-insatser/queryables",
		"/ogc/collections/kommuner/items?limit=3",
		"/ogc/collections/kommuner/items?limit=2&crs=" + url.QueryEscape(uri3006) + "&bbox=6579000,673000,6581000,675000&bbox-crs=" + url.QueryEscape(uri3006),
		"/ogc/collections/kommuner/items?filter=" + filter + "&sortby=-befolkning&properties=namn,befolkning",
		"/ogc/collections/omraden-2025/items?limit=2&crs=" + url.QueryEscape(uri4326),
		"/ogc/collections/kommuner/items/0180?crs=" + url.QueryEscape(uri3857),
		"/ogc/collections/kommuner/items?filter=" + url.QueryEscape("namn ="),
		"/ogc/collections/kommuner/items?crs=EPSG:9999",
		"/ogc/collections/kommuner/tiles", "/ogc/collections/kommuner/tiles/WebMercatorQuad",
		"/ogc/collections/kommuner/tiles/SWEREF99TM", "/ogc/tileMatrixSets", "/ogc/tileMatrixSets/WebMercatorQuad",
		"/ogc/tileMatrixSets/SWEREF99TM", "/ogc/collections/kommuner/tiles/SWEREF99TM/3/1/1",
		"/ogc/collections/omraden-2025/tiles/WebMercatorQuad/14/4812/9007",
		"/ogc/collections/kommuner/tiles/SWEREF99TM/3/1/1?f=mvt",
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: no route in the OpenAPI document: %v", path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s: the request does not match the document: %v", path, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(b))}
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			t.Errorf("%s: %d response does not match the document: %v\n%.300s", path, resp.StatusCode, err, b)
		}
	}
}
