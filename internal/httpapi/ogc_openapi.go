package httpapi

import (
	"net/http"
	"strings"
)

// The OpenAPI 3.0 description of /ogc, built as plain maps: it states what the handlers do,
// including the limit parameter's default and maximum.

type oas = map[string]any

func oasRef(name string) oas { return oas{"$ref": "#/components/" + name} }

func oasContent(schema oas, mediaTypes ...string) oas {
	c := oas{}
	for _, m := range mediaTypes {
		c[m] = oas{"schema": schema}
	}
	return c
}

// getOp is a GET operation with a 200 response of the given media type and the error responses.
func oasGet(id, summary string, params []oas, okDesc string, ok oas, mediaTypes ...string) oas {
	if params == nil {
		params = []oas{}
	}
	params = append(params, oasRef("parameters/f"))
	responses := oas{
		"200": oas{"description": okDesc, "content": oasContent(ok, mediaTypes...)},
		"400": oasRef("responses/InvalidParameter"),
		"404": oasRef("responses/NotFound"),
		"500": oasRef("responses/ServerError"),
	}
	return oas{"get": oas{"operationId": id, "summary": summary, "parameters": params, "responses": responses}}
}

func (s *Server) openAPI(base string) oas {
	anyObject := oas{"type": "object"}
	linksSchema := oas{"type": "array", "items": oasRef("schemas/link")}
	paths := oas{
		"/": oasGet("getLandingPage", "Landningssidan med länkar till API-beskrivningen, standarderna och samlingarna.", nil,
			"Landningssidan", oas{"type": "object", "required": []string{"links"}, "properties": oas{
				"title": oas{"type": "string"}, "description": oas{"type": "string"}, "links": linksSchema}}, jsonType),
		"/conformance": oasGet("getConformanceDeclaration", "Konformitetsklasserna API:t implementerar.", nil,
			"Konformitetsklasserna", oas{"type": "object", "required": []string{"conformsTo"}, "properties": oas{
				"conformsTo": oas{"type": "array", "items": oas{"type": "string"}}}}, jsonType),
		"/api": oasGet("getAPIDescription", "Detta dokument.", nil, "OpenAPI 3.0-beskrivningen", anyObject, openAPIType),
		"/collections": oasGet("getCollections", "Samlingarna med utsträckning i rum och tid.", nil,
			"Samlingarna", oas{"type": "object", "required": []string{"links", "collections"}, "properties": oas{
				"links": linksSchema, "collections": oas{"type": "array", "items": oasRef("schemas/collection")}}}, jsonType),
		"/collections/{collectionId}": oasGet("describeCollection", "En samling.",
			[]oas{oasRef("parameters/collectionId")}, "Samlingen", oasRef("schemas/collection"), jsonType),
		"/collections/{collectionId}/items": oasGet("getFeatures",
			"Objekten i en samling som GeoJSON, sorterade efter id, en sida i taget (följ länken next).",
			[]oas{oasRef("parameters/collectionId"), oasRef("parameters/limit"), oasRef("parameters/offset"), oasRef("parameters/bbox"), oasRef("parameters/bbox-crs"), oasRef("parameters/datetime"), oasRef("parameters/crs"),
				oasRef("parameters/filter"), oasRef("parameters/filter-lang"), oasRef("parameters/filter-crs"), oasRef("parameters/sortby"), oasRef("parameters/properties")},
			"En sida av objekten", oasRef("schemas/featureCollectionGeoJSON"), geoJSON),
		"/collections/{collectionId}/queryables": oasGet("getQueryables",
			"Egenskaperna som filter (CQL2) får nämna, som JSON Schema.",
			[]oas{oasRef("parameters/collectionId")}, "Egenskaperna", anyObject, schemaJSONType),
		"/collections/{collectionId}/items/{featureId}": oasGet("getFeature", "Ett objekt.",
			[]oas{oasRef("parameters/collectionId"), oasRef("parameters/featureId"), oasRef("parameters/crs"), oasRef("parameters/properties")}, "Objektet", oasRef("schemas/featureGeoJSON"), geoJSON),
	}
	if s.Tiles != nil {
		tileParams := []oas{oasRef("parameters/collectionId"), oasRef("parameters/tileMatrixSetId"),
			oasRef("parameters/tileMatrix"), oasRef("parameters/tileRow"), oasRef("parameters/tileCol")}
		paths["/collections/{collectionId}/tiles"] = oasGet("getCollectionVectorTilesets", "Samlingens vektortileset.",
			[]oas{oasRef("parameters/collectionId")}, "Listan av tileset", anyObject, jsonType)
		paths["/collections/{collectionId}/tiles/{tileMatrixSetId}"] = oasGet("getCollectionVectorTileset",
			"Metadata om samlingens tileset i WebMercatorQuad eller SWEREF99TM (SWEREF 99 TM, EPSG:3006).",
			[]oas{oasRef("parameters/collectionId"), oasRef("parameters/tileMatrixSetId")}, "Tilesetets metadata", anyObject, jsonType)
		tile := oasGet("getCollectionVectorTile", "En vektortile (Mapbox Vector Tile). tileRow räknas från norr. "+
			"Filterparametrarna för /tiles (from, to, category, agency, fields) går igenom.", tileParams,
			"Tilen", oas{"type": "string", "format": "binary"}, mvtType)
		tile["get"].(oas)["responses"].(oas)["204"] = oas{"description": "Tilen är tom"}
		// A tile's one format is MVT: its f (oasGet's last parameter) names that, not JSON.
		tp := tile["get"].(oas)["parameters"].([]oas)
		tp[len(tp)-1] = oas{"name": "f", "in": "query", "required": false, "description": "Format; bara Mapbox Vector Tile (mvt).",
			"schema": oas{"type": "string", "enum": []string{"mvt"}}}
		paths["/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = tile
		paths["/tileMatrixSets"] = oasGet("getTileMatrixSetsList", "Tile matrix sets.", nil, "Listan", anyObject, jsonType)
		paths["/tileMatrixSets/{tileMatrixSetId}"] = oasGet("getTileMatrixSet", "Definitionen av en tile matrix set.",
			[]oas{oasRef("parameters/tileMatrixSetId")}, "Definitionen", anyObject, jsonType)
	}
	intParam := func(name, desc string, min int) oas {
		return oas{"name": name, "in": "path", "required": true, "description": desc, "schema": oas{"type": "integer", "minimum": min}}
	}
	return oas{
		"openapi": "3.0.3",
		"info": oas{
			"title":   "Lägesbild – OGC API",
			"version": "1.0.0",
			"description": "Utsatta områden, administrativa gränser, myndigheternas närvaro och händelser per H3-cell som " +
				"OGC API – Features (Part 1: Core, GeoJSON; Part 2: CRS; Part 3: queryables och CQL2-filter) och OGC API – Tiles. Koordinater i WGS84 (CRS84) " +
				"om inte crs väljer EPSG:4326, EPSG:3006 (SWEREF 99 TM) eller EPSG:3857.",
		},
		"servers": []oas{{"url": base}},
		"paths":   paths,
		"components": oas{
			"parameters": oas{
				"f": oas{"name": "f", "in": "query", "required": false, "description": "Format; bara JSON erbjuds.",
					"schema": oas{"type": "string", "enum": []string{"json", "geojson"}}},
				"collectionId": oas{"name": "collectionId", "in": "path", "required": true,
					"description": "Samlingens id, till exempel omraden-2025, kommuner, narvaro-insatser, h3-r7 eller emerging-5300 (se /collections).",
					"schema":      oas{"type": "string"}},
				"featureId": oas{"name": "featureId", "in": "path", "required": true,
					"description": "Objektets id: område (2025-SO9), kommun-, läns- eller regionkod, office-<n>, operation-<n> eller H3-cell.",
					"schema":      oas{"type": "string"}},
				"limit": oas{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Största antal objekt på sidan. Ett större värde än maximum ger maximum.",
					"schema":      oas{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
				"offset": oas{"name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Antal objekt att hoppa över (sidan börjar efter dem); länken next sätter det.",
					"schema":      oas{"type": "integer", "minimum": 0, "default": 0}},
				"bbox": oas{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Bara objekt vars geometri skär rutan minLon,minLat,maxLon,maxLat i WGS84 (CRS84), eller i bbox-crs. " +
						"Rutor över antimeridianen och 3D-rutor (6 tal) stöds inte.",
					"schema": oas{"type": "array", "minItems": 4, "maxItems": 4, "items": oas{"type": "number"}}},
				"crs": oas{"name": "crs", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Koordinatsystemet för geometrierna, i systemets axelordning: CRS84 (lon, lat; standard), " +
						"EPSG:4326 (lat, lon), EPSG:3006 (SWEREF 99 TM: northing, easting, meter) eller EPSG:3857 (x, y, meter). " +
						"Svaret säger det i Content-Crs. Ges som URI eller säker CURIE ([EPSG:3006]): " + strings.Join(crsURIs(), ", ") + ".",
					"schema": oas{"type": "string", "default": crs84}},
				"bbox-crs": oas{"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Koordinatsystemet för bbox, vars tal då följer systemets axelordning (se crs).",
					"schema":      oas{"type": "string", "default": crs84}},
				"filter": oas{"name": "filter", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Ett CQL2-filter (OGC API – Features Part 3) över samlingens queryables: jämförelser, LIKE, " +
						"BETWEEN, IN, IS NULL, AND/OR/NOT, S_INTERSECTS och T_AFTER, T_BEFORE, T_DISJOINT, T_EQUALS, T_INTERSECTS. " +
						"Ett felaktigt filter ger 400 med position och fel.",
					"schema": oas{"type": "string"}},
				"sortby": oas{"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Sortering före id: queryables åtskilda med komma, med - för fallande (+ eller inget för stigande).",
					"schema":      oas{"type": "string"}},
				"properties": oas{"name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Bara dessa egenskaper, åtskilda med komma (i objektens ordning).",
					"schema":      oas{"type": "array", "items": oas{"type": "string"}}},
				"filter-lang": oas{"name": "filter-lang", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Filtrets kodning.",
					"schema":      oas{"type": "string", "enum": []string{"cql2-text", "cql2-json"}, "default": "cql2-text"}},
				"filter-crs": oas{"name": "filter-crs", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Koordinatsystemet för filtrets geometrier, i dess axelordning (se crs).",
					"schema":      oas{"type": "string", "default": crs84}},
				"datetime": oas{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "En tidpunkt (RFC 3339, till exempel 2025-01-31T00:00:00Z) eller ett intervall start/slut " +
						"där .. är ett öppet slut. Gäller narvaro-insatser (insatsens period) och h3-r7 (händelsedagar); " +
						"samlingar utan tid ignorerar det.",
					"schema": oas{"type": "string"}},
				"tileMatrixSetId": oas{"name": "tileMatrixSetId", "in": "path", "required": true,
					"schema": oas{"type": "string", "enum": tileMatrixSetIDs}},
				"tileMatrix": intParam("tileMatrix", "Zoomnivån (WebMercatorQuad) eller nivån i SWEREF99TM", 0),
				"tileRow":    intParam("tileRow", "Raden, från norr", 0),
				"tileCol":    intParam("tileCol", "Kolumnen, från väster", 0),
			},
			"schemas": oas{
				"link": oas{"type": "object", "required": []string{"href", "rel"}, "properties": oas{
					"href": oas{"type": "string"}, "rel": oas{"type": "string"}, "type": oas{"type": "string"},
					"title": oas{"type": "string"}, "templated": oas{"type": "boolean"}}},
				"collection": oas{"type": "object", "required": []string{"id", "links"}, "properties": oas{
					"id": oas{"type": "string"}, "title": oas{"type": "string"}, "description": oas{"type": "string"},
					"links": linksSchema, "itemType": oas{"type": "string"}, "crs": oas{"type": "array", "items": oas{"type": "string"}},
					"storageCrs": oas{"type": "string"},
					"extent": oas{"type": "object", "properties": oas{
						"spatial": oas{"type": "object", "properties": oas{
							"bbox": oas{"type": "array", "items": oas{"type": "array", "minItems": 4, "maxItems": 4, "items": oas{"type": "number"}}},
							"crs":  oas{"type": "string"}}},
						"temporal": oas{"type": "object", "properties": oas{
							"interval": oas{"type": "array", "items": oas{"type": "array", "minItems": 2, "maxItems": 2,
								"items": oas{"type": "string", "format": "date-time", "nullable": true}}},
							"trs": oas{"type": "string"}}}}}}},
				"featureGeoJSON": oas{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": oas{
					"type": oas{"type": "string", "enum": []string{"Feature"}}, "id": oas{"type": "string"},
					"geometry": oas{"type": "object", "nullable": true}, "properties": oas{"type": "object", "nullable": true},
					"links": linksSchema}},
				"featureCollectionGeoJSON": oas{"type": "object", "required": []string{"type", "features"}, "properties": oas{
					"type":     oas{"type": "string", "enum": []string{"FeatureCollection"}},
					"features": oas{"type": "array", "items": oasRef("schemas/featureGeoJSON")},
					"links":    linksSchema, "timeStamp": oas{"type": "string", "format": "date-time"},
					"numberMatched": oas{"type": "integer", "minimum": 0}, "numberReturned": oas{"type": "integer", "minimum": 0}}},
				"exception": oas{"type": "object", "required": []string{"error"}, "properties": oas{
					"error": oas{"type": "object", "properties": oas{
						"code": oas{"type": "string"}, "message": oas{"type": "string"},
						"parameter":  oas{"type": "string", "description": "the parameter at fault (400)"},
						"request_id": oas{"type": "string"}}}}},
			},
			"responses": oas{
				"InvalidParameter": oas{"description": "En parameter är fel; parameter namnger den.", "content": oasContent(oasRef("schemas/exception"), jsonType)},
				"NotFound":         oas{"description": "Resursen finns inte.", "content": oasContent(oasRef("schemas/exception"), jsonType)},
				"ServerError":      oas{"description": "Serverfel; ange request_id.", "content": oasContent(oasRef("schemas/exception"), jsonType)},
			},
		},
	}
}

func (s *Server) handleOGCAPI(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, openAPIType, s.openAPI(s.ogcBase(r)))
	return nil
}
