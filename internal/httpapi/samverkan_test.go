package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/lagesbild/lagesbild/geodata"
	"github.com/lagesbild/lagesbild/internal/analysis"
	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/demo"
	"github.com/lagesbild/lagesbild/internal/export"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/pmtiles"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/refdata"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/samverkan/samverkantest"
	"github.com/lagesbild/lagesbild/internal/summary"
	"github.com/lagesbild/lagesbild/internal/tiles"
)

// agencyCaller is one identity of the matrix with its bearer token.
type agencyCaller struct {
	samverkantest.Expected
	token string
}

// get is do with headers, returning the raw body.
func (c agencyCaller) get(t *testing.T, h http.Handler, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// observationMarks are what would betray an observation in a tile, an export or a CSV: the
// vocabulary's codes and labels and the fixture's decision ids.
func observationMarks(t *testing.T, svc *samverkan.Service) []string {
	t.Helper()
	cats, err := svc.Store.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	marks := []string{samverkantest.Valid, samverkantest.Expired, samverkantest.Other, samverkantest.NotMember, samverkantest.Revoked}
	for _, c := range cats {
		marks = append(marks, c.Code, c.Label)
	}
	return marks
}

// noObservationInTile fails when a decoded tile carries an observation: a feature with a
// decision or basis property, or a value of the observations' vocabulary.
func noObservationInTile(t *testing.T, what string, body []byte, marks []string) {
	t.Helper()
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("%s: not a vector tile: %v", what, err)
	}
	for _, l := range ls {
		if strings.Contains(l.Name, "observ") {
			t.Errorf("%s: a layer %s", what, l.Name)
		}
		for _, f := range l.Features {
			for k, v := range f.Properties {
				sv, _ := v.(string)
				if k == "decision_id" || k == "basis" || (sv != "" && slices.Contains(marks, sv)) {
					t.Errorf("%s: layer %s feature carries %s=%v (an observation)", what, l.Name, k, v)
				}
			}
		}
	}
}

func (c agencyCaller) do(t *testing.T, h http.Handler, method, target, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" && strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func scopeText(s auth.Scope) string {
	switch {
	case s.All:
		return "all"
	case len(s.Regions) > 0:
		return strings.Join(s.Regions, ",")
	}
	return strings.Join(s.LPOs, ",")
}

func listLen(m map[string]any, key string) int {
	l, _ := m[key].([]any)
	return len(l)
}

// pictureTotal sums the published totals of a joint picture; suppressed totals count -1000 so
// a test notices them.
func pictureTotal(m map[string]any) int {
	obs, _ := m["observations"].(map[string]any)
	cs, _ := obs["contributions"].([]any)
	n := 0
	for _, c := range cs {
		c := c.(map[string]any)
		if v, ok := c["total"].(float64); ok {
			n += int(v)
		} else {
			n -= 1000
		}
	}
	return n
}

// TestAgencyMatrix walks agencies × decisions (valid, expired, other region, not a member) ×
// every endpoint of the joint lägesbild over one database: no caller sees a record without a
// lawful basis, every read of another agency's data is in the disclosure log under the
// decision that allowed it, revoking or expiring a decision takes effect on the next request,
// and hostile parameter values are refused naming the parameter.
func TestAgencyMatrix(t *testing.T) {
	db, dbURL := pgtest.New(t)
	svc := samverkantest.Load(t, db)
	ctx := context.Background()
	authSvc := auth.NewService(db, false)
	db.UseEmerging(analysis.New(db, analysis.Options{})) // as serve wires it: the emerging layer too
	tileSvc := tiles.NewService(db, db, 16<<20)
	tileSvc.Versions.TTL = 0 // the data version read on every request: a decision's change shows in the next ETag
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Features: db, Auth: authSvc, Samverkan: svc,
		Summaries: summary.New(db, summary.Options{}), Tiles: tileSvc}
	h := api.Handler()
	var callers []agencyCaller
	byName := map[string]agencyCaller{}
	for _, e := range samverkantest.Matrix() {
		agency := e.ID.Agency
		if e.ID.Role.PoliceRole() {
			agency = ""
		}
		tok, _, err := authSvc.CreateToken(ctx, auth.TokenRequest{Role: e.ID.Role, Scope: scopeText(e.ID.Scope), Agency: agency, CreatedBy: "test"})
		if err != nil {
			t.Fatalf("token for %s: %v", e.ID.Subject, err)
		}
		c := agencyCaller{Expected: e, token: tok}
		callers = append(callers, c)
		byName[e.ID.Subject] = c
	}
	// Records of the sensitive category (fk, under SB-VALID) are never listed, only counted.
	const sensitive = samverkantest.Sensitive
	listed := func(e samverkantest.Expected) int {
		if e.Disclosed[[2]string{"fk", samverkantest.Valid}] > 0 || e.ID.Agency == "fk" {
			return e.Rows - sensitive
		}
		return e.Rows
	}

	t.Run("observations", func(t *testing.T) {
		for _, c := range callers {
			code, body := c.do(t, h, "GET", "/api/v1/observations", "")
			if c.ID.Role == auth.RoleAdmin {
				if code != http.StatusForbidden {
					t.Errorf("admin GET observations: %d, want 403", code)
				}
				if code, _ := c.do(t, h, "GET", "/ogc/collections/observationer/items", ""); code != http.StatusForbidden {
					t.Errorf("admin OGC observations: %d, want 403", code)
				}
				continue
			}
			if code != 200 || listLen(body, "observations") != listed(c.Expected) {
				t.Errorf("%s: GET observations %d with %d rows, want %d", c.ID.Subject, code, listLen(body, "observations"), listed(c.Expected))
			}
			for _, o := range body["observations"].([]any) {
				o := o.(map[string]any)
				if o["agency"] != c.ID.Agency && (o["decision_id"] == samverkantest.Expired || o["decision_id"] == samverkantest.Other || o["decision_id"] == nil) {
					t.Errorf("%s sees %v without a lawful basis", c.ID.Subject, o)
				}
			}
			code, body = c.do(t, h, "GET", "/api/v1/observations?format=geojson&bbox=10,55,25,70", "")
			if code != 200 || listLen(body, "features") != listed(c.Expected) {
				t.Errorf("%s: GeoJSON %d with %d features, want %d", c.ID.Subject, code, listLen(body, "features"), listed(c.Expected))
			}
			code, body = c.do(t, h, "GET", "/ogc/collections/observationer/items?limit=1000", "")
			if code != 200 || listLen(body, "features") != listed(c.Expected) || body["numberMatched"] != float64(listed(c.Expected)) {
				t.Errorf("%s: OGC items %d with %d features, want %d", c.ID.Subject, code, listLen(body, "features"), listed(c.Expected))
			}
			if c.ID.Role == auth.RoleMyndighet {
				// An agency analyst reads no police data: no other collection, no incident,
				// cell, hot-spot or presence tile, no summary, ranking or report.
				for _, target := range []string{"/ogc/collections/kommuner/items", "/ogc/collections/omraden-2025/items",
					"/tiles/h3/10/562/300.mvt", "/tiles/handelser/14/9006/4812.mvt", "/tiles/narvaro/10/562/300.mvt", "/tiles/emerging/10/562/300.mvt",
					"/tiles/omraden,h3/10/562/300.mvt", "/tiles/h3.json", "/api/v1/area-sets", "/api/v1/areas", "/api/v1/period",
					"/api/v1/summaries?set=2025", "/api/v1/priority?set=2025", "/api/v1/areas/2025-SO9/summary"} {
					if code, _ := c.do(t, h, "GET", target, ""); code != http.StatusForbidden {
						t.Errorf("%s: GET %s = %d, want 403", c.ID.Subject, target, code)
					}
				}
				// The map page's public geography: the style (without the police's layers),
				// the border and area tiles, the labels.
				for _, target := range []string{"/styles/lagesbild.json", "/styles/labels.geojson", "/tiles/omraden.json", "/tiles/kommuner.json",
					"/tiles/lan/10/562/300.mvt", "/tiles/kommuner/10/562/300.mvt", "/tiles/polisregioner/10/562/300.mvt", "/tiles/omraden/10/562/300.mvt"} {
					if code, _ := c.do(t, h, "GET", target, ""); code != 200 {
						t.Errorf("%s: GET %s = %d, want 200", c.ID.Subject, target, code)
					}
				}
				_, style := c.do(t, h, "GET", "/styles/lagesbild.json", "")
				srcs, _ := style["sources"].(map[string]any)
				for name := range srcs {
					if name == "h3" || name == "narvaro" || name == "emerging" || name == "handelser" {
						t.Errorf("%s: the style names the police's source %s", c.ID.Subject, name)
					}
				}
				layers, _ := style["layers"].([]any)
				for _, l := range layers {
					if src, _ := l.(map[string]any)["source"].(string); src != "" && srcs[src] == nil {
						t.Errorf("%s: style layer %v draws a source it does not have", c.ID.Subject, l.(map[string]any)["id"])
					}
				}
				_, idx := c.do(t, h, "GET", "/tiles", "")
				if n := listLen(idx, "layers"); n != 4 {
					t.Errorf("%s: the tile index lists %d layers, want the 4 public ones", c.ID.Subject, n)
				}
				_, body = c.do(t, h, "GET", "/ogc/collections", "")
				if listLen(body, "collections") != 1 {
					t.Errorf("%s lists %d OGC collections, want only observationer", c.ID.Subject, listLen(body, "collections"))
				}
			}
		}
	})

	t.Run("area picture", func(t *testing.T) {
		// Tensta: everything of the fixture but the expired decision's records in Skäggetorp.
		want := map[string]int{"skv-analytiker": 20 + 10 + 7, "fk-analytiker": 5 + 10 + 7 + 5, "mv-analytiker": 5, "kfm-analytiker": 0,
			"pm-regional": 5 + 10 + 7, "pm-jarva": 5 + 10 + 7}
		for _, c := range callers {
			code, body := c.do(t, h, "GET", "/api/v1/areas/2025-SO9/observations", "")
			w, ok := want[c.ID.Subject]
			if !ok {
				if code != http.StatusForbidden {
					t.Errorf("%s: area outside its scope or role gave %d, want 403", c.ID.Subject, code)
				}
				continue
			}
			if code != 200 || pictureTotal(body) != w {
				t.Errorf("%s: area picture %d total %d, want %d (%v)", c.ID.Subject, code, pictureTotal(body), w, body)
			}
			obs, _ := body["observations"].(map[string]any)
			cs, _ := obs["contributions"].([]any)
			for _, x := range cs {
				for _, cat := range x.(map[string]any)["categories"].([]any) {
					if cat.(map[string]any)["category"] == "misstankt_bedrageri" {
						t.Errorf("%s: a sensitive category is shown on its own", c.ID.Subject)
					}
				}
			}
		}
	})

	t.Run("summary, ranking and report", func(t *testing.T) {
		reg := byName["pm-regional"]
		code, body := reg.do(t, h, "GET", "/api/v1/areas/2025-SO9/summary?from=2025-05-01&to=2025-05-31", "")
		if code != 200 || pictureTotal(body) != 22 {
			t.Errorf("summary: %d, observations total %d, want 22 (%v)", code, pictureTotal(body), body["observations"])
		}
		code, body = reg.do(t, h, "GET", "/api/v1/priority?set=2025&region=5300&from=2025-05-01&to=2025-05-31", "")
		obs, _ := body["observations"].(map[string]any)
		if code != 200 || pictureTotal(map[string]any{"observations": obs["2025-SO9"]}) != 22 {
			t.Errorf("ranking: %d, Tensta's observations %v", code, obs["2025-SO9"])
		}
		req := httptest.NewRequest("GET", "/api/v1/areas/2025-SO9/report?from=2025-05-01&to=2025-05-31", nil)
		req.Header.Set("Authorization", "Bearer "+reg.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		html := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(html, "Myndigheternas observationer") || !strings.Contains(html, "Delat enligt samverkansbeslut "+samverkantest.Valid) ||
			strings.Contains(html, samverkantest.NotMember) || strings.Contains(html, "Misstänkt bidragsbrott") {
			t.Errorf("report: %d, joint section wrong:\n%s", rec.Code, html)
		}
		req = httptest.NewRequest("GET", "/api/v1/regions/5300/report?set=2025&from=2025-05-01&to=2025-05-31", nil)
		req.Header.Set("Authorization", "Bearer "+reg.token)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		html = rec.Body.String()
		if rec.Code != 200 || !strings.Contains(html, "Samverkansrådets lägesbild") || !strings.Contains(html, "Försäkringskassan") ||
			!strings.Contains(html, "Tensta") || strings.Contains(html, samverkantest.NotMember) ||
			!strings.Contains(html, "<td>Tensta</td><td>–</td><td>Försäkringskassan ("+samverkantest.Valid+"): 17; Skatteverket ("+samverkantest.Valid+"): 5</td>") ||
			strings.Contains(html, "<td>Hjulsta</td><td>–</td><td>Försäkringskassan") {
			t.Errorf("region report: %d\n%s", rec.Code, html[strings.Index(html, "Gemensam"):])
		}
		for target, want := range map[string]int{"/api/v1/regions/5400/report": 403, "/api/v1/regions/9999/report": 400,
			"/api/v1/regions/5300/report?set=x": 400} {
			if code, _ := reg.do(t, h, "GET", target, ""); code != want {
				t.Errorf("GET %s = %d, want %d", target, code, want)
			}
		}
		if code, _ := byName["skv-analytiker"].do(t, h, "GET", "/api/v1/regions/5300/report", ""); code != http.StatusForbidden {
			t.Errorf("an agency analyst reads the police's region report: %d, want 403", code)
		}
		// Another region's police see no observations of Tensta, and not the area either.
		if code, _ := byName["pm-ost"].do(t, h, "GET", "/api/v1/areas/2025-SO9/summary", ""); code != http.StatusForbidden {
			t.Errorf("pm-ost summary of Tensta: %d, want 403", code)
		}
	})

	t.Run("disclosure log", func(t *testing.T) {
		adm := byName["admin"]
		code, body := adm.do(t, h, "GET", "/api/v1/disclosures?limit=10000", "")
		if code != 200 {
			t.Fatalf("admin disclosures: %d %v", code, body)
		}
		got := map[[3]string]int{} // subject, owner, decision → records on GET /api/v1/observations
		resources := map[string]bool{}
		ogc := map[[3]string]int{}
		for _, d := range body["disclosures"].([]any) {
			d := d.(map[string]any)
			dec := d["decision_id"].(string)
			if dec != samverkantest.Valid && dec != samverkantest.NotMember {
				t.Errorf("disclosure under %s, which allows nothing: %v", dec, d)
			}
			resources[d["resource"].(string)] = true
			if d["resource"] == "/ogc/collections/observationer/items" {
				ogc[[3]string{d["subject"].(string), d["owner_agency"].(string), dec}] += int(d["records"].(float64))
			}
			if d["resource"] == "/api/v1/observations" {
				got[[3]string{d["subject"].(string), d["owner_agency"].(string), dec}] += int(d["records"].(float64))
			}
		}
		for _, res := range []string{"/api/v1/areas/2025-SO9/observations", "/api/v1/areas/2025-SO9/summary", "/api/v1/priority", "/api/v1/areas/2025-SO9/report", "/api/v1/regions/5300/report",
			"/ogc/collections/observationer/items"} {
			if !resources[res] {
				t.Errorf("no disclosure logged for %s", res)
			}
		}
		tokens, _ := db.Tokens(ctx)
		subj := map[string]string{}
		for _, tk := range tokens {
			subj[tk.Agency+"|"+scopeText(tk.Scope)+"|"+string(tk.Role)] = "token:" + itoa(tk.ID)
		}
		for _, c := range callers {
			agency := c.ID.Agency
			s := subj[agency+"|"+scopeText(c.ID.Scope)+"|"+string(c.ID.Role)]
			for k, n := range c.Disclosed {
				if k[0] == "fk" && k[1] == samverkantest.Valid {
					n -= sensitive
				}
				// Two reads each (JSON and GeoJSON).
				if got[[3]string{s, k[0], k[1]}] != 2*n || ogc[[3]string{s, k[0], k[1]}] != n {
					t.Errorf("%s (%s): disclosed %d records of %s under %s, want %d", c.ID.Subject, s, got[[3]string{s, k[0], k[1]}], k[0], k[1], 2*n)
				}
			}
		}
		// An agency lists only its own data's disclosures; the others' are refused.
		skv := byName["skv-analytiker"]
		code, body = skv.do(t, h, "GET", "/api/v1/disclosures", "")
		if code != 200 || listLen(body, "disclosures") == 0 {
			t.Fatalf("skv disclosures: %d %v", code, body)
		}
		for _, d := range body["disclosures"].([]any) {
			if d.(map[string]any)["owner_agency"] != "skv" {
				t.Errorf("skv sees a disclosure of another agency's data: %v", d)
			}
		}
		if code, _ := skv.do(t, h, "GET", "/api/v1/disclosures?agency=fk", ""); code != http.StatusForbidden {
			t.Errorf("skv reading fk's disclosures: %d, want 403", code)
		}
	})

	t.Run("every endpoint", func(t *testing.T) {
		owner := pgtest.Conn(t, dbURL)
		type stored struct {
			id               int64
			agency, decision string
			sensitive        bool
		}
		var all []stored
		rows, err := owner.Query(ctx, `SELECT o.id, o.agency, coalesce(o.decision_id, ''), c.sensitive FROM observation o
			JOIN observation_category c ON c.agency = o.agency AND c.code = o.category ORDER BY o.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var o stored
			if err := rows.Scan(&o.id, &o.agency, &o.decision, &o.sensitive); err != nil {
				t.Fatal(err)
			}
			all = append(all, o)
		}
		rows.Close()
		if len(all) != samverkantest.Total {
			t.Fatalf("%d observations stored, want the fixture's %d", len(all), samverkantest.Total)
		}
		lawful := func(e samverkantest.Expected, o stored) bool {
			return o.agency == e.ID.Agency || e.Disclosed[[2]string{o.agency, o.decision}] > 0
		}
		// OGC items one by one: exactly the listed rows answer, each with a lawful basis, and
		// each of another agency's is in the disclosure log under its decision.
		crossReads := map[string]string{} // resource → decision
		for _, c := range callers {
			seen := 0
			for _, o := range all {
				code, body := c.do(t, h, "GET", "/ogc/collections/observationer/items/obs-"+itoa(o.id), "")
				switch {
				case code == 200:
					seen++
					if !lawful(c.Expected, o) || o.sensitive {
						t.Errorf("%s reads observation %d (%s under %q) without a lawful basis or of a sensitive category", c.ID.Subject, o.id, o.agency, o.decision)
					}
					if o.agency != c.ID.Agency {
						crossReads["/ogc/collections/observationer/items/obs-"+itoa(o.id)+"|"+c.ID.Agency] = o.agency + "|" + o.decision
					}
					props, _ := body["properties"].(map[string]any)
					if props["agency"] != o.agency || (o.agency != c.ID.Agency && props["basis"] != "Delat enligt samverkansbeslut "+o.decision) {
						t.Errorf("%s: observation %d labelled %v / %v", c.ID.Subject, o.id, props["agency"], props["basis"])
					}
				case c.ID.Role == auth.RoleAdmin && code == http.StatusForbidden, code == http.StatusNotFound:
				default:
					t.Errorf("%s: OGC item %d gave %d", c.ID.Subject, o.id, code)
				}
			}
			if want := listed(c.Expected); seen != want {
				t.Errorf("%s reads %d OGC items one by one, want %d", c.ID.Subject, seen, want)
			}
		}
		// Every response that carries observations is kept out of every cache, and has no ETag:
		// nothing can serve it again once its decision has ended.
		for _, c := range []agencyCaller{byName["pm-regional"], byName["skv-analytiker"]} {
			targets := []string{"/api/v1/observations", "/api/v1/observations?format=geojson", "/ogc/collections/observationer/items",
				"/api/v1/areas/2025-SO9/observations", "/api/v1/disclosures"}
			if c.ID.Role != auth.RoleMyndighet {
				targets = append(targets, "/api/v1/areas/2025-SO9/summary", "/api/v1/priority?set=2025", "/api/v1/areas/2025-SO9/report",
					"/api/v1/regions/5300/report")
			}
			for _, target := range targets {
				rec := c.get(t, h, target, nil)
				if rec.Code != 200 || rec.Header().Get("Cache-Control") != "private, no-store" || rec.Header().Get("ETag") != "" {
					t.Errorf("%s: %s: %d, Cache-Control %q, ETag %q", c.ID.Subject, target, rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("ETag"))
				}
			}
		}
		_, body := byName["admin"].do(t, h, "GET", "/api/v1/disclosures?limit=10000", "")
		logged := map[string]string{}
		for _, d := range body["disclosures"].([]any) {
			d := d.(map[string]any)
			if res := d["resource"].(string); strings.HasPrefix(res, "/ogc/collections/observationer/items/") {
				logged[res+"|"+d["reader_agency"].(string)] = d["owner_agency"].(string) + "|" + d["decision_id"].(string)
				if d["records"] != 1.0 {
					t.Errorf("one item logged as %v records", d["records"])
				}
			}
		}
		if len(crossReads) == 0 || len(logged) != len(crossReads) {
			t.Errorf("%d cross-agency item reads, %d logged", len(crossReads), len(logged))
		}
		for k, v := range crossReads {
			if logged[k] != v {
				t.Errorf("item read %s under %s logged as %q", k, v, logged[k])
			}
		}
		// Tiles, decoded, of every layer over Tensta: the police's data only, never an
		// observation, whoever asks; an agency analyst reads only the public geography (the
		// borders and the police's published areas), never a police record.
		marks := observationMarks(t, svc)
		publicSeen := map[string]int{}
		for _, c := range callers {
			for _, l := range tiles.Layers {
				for _, zxy := range []string{"10/562/300", "14/9006/4812"} {
					rec := c.get(t, h, "/tiles/"+l.Name+"/"+zxy+".mvt", nil)
					switch {
					case rec.Code == 200:
						public := l.Name == "omraden" || l.Name == "kommuner" || l.Name == "lan" || l.Name == "polisregioner"
						if !c.ID.CanReadData() && !(public && c.ID.Role == auth.RoleMyndighet) {
							t.Errorf("%s reads the tile %s/%s", c.ID.Subject, l.Name, zxy)
						}
						if !c.ID.CanReadData() {
							// Only the public layers' own features: no incident, cell or presence.
							_, ls := tileFeatureCount(t, rec.Body.Bytes(), l.Name)
							for _, tl := range ls {
								if tl.Name != l.Name || !public {
									t.Errorf("%s: tile %s/%s carries the layer %s", c.ID.Subject, l.Name, zxy, tl.Name)
								}
							}
						}
						if c.ID.Role == auth.RoleMyndighet && public {
							publicSeen[c.ID.Subject+" "+l.Name]++
						}
						noObservationInTile(t, c.ID.Subject+" "+l.Name+"/"+zxy, rec.Body.Bytes(), marks)
					case rec.Code == http.StatusNoContent, rec.Code == http.StatusForbidden, rec.Code == http.StatusNotFound, rec.Code == http.StatusBadRequest:
					default:
						t.Errorf("%s: tile %s/%s gave %d", c.ID.Subject, l.Name, zxy, rec.Code)
					}
				}
			}
			if c.ID.Role == auth.RoleMyndighet && (publicSeen[c.ID.Subject+" kommuner"] == 0 || publicSeen[c.ID.Subject+" lan"] == 0) {
				t.Errorf("%s: no kommun or län border tile over Tensta (%v)", c.ID.Subject, publicSeen)
			}
		}
		// Exports: the CSV of the summary, the ranking and the lists, and the offline files, carry
		// the police's aggregates only; an agency analyst may export nothing.
		for _, name := range []string{"pm-regional", "pm-jarva"} {
			c := byName[name]
			for _, target := range []string{"/api/v1/areas/2025-SO9/summary?format=csv&from=2025-05-01&to=2025-05-31",
				"/api/v1/priority?set=2025&format=csv&from=2025-05-01&to=2025-05-31", "/api/v1/summaries?set=2025&format=csv&from=2025-05-01&to=2025-05-31"} {
				rec := c.get(t, h, target, nil)
				if rec.Code != 200 {
					t.Errorf("%s: %s gave %d", name, target, rec.Code)
				}
				for _, m := range marks {
					if len(m) > 3 && strings.Contains(rec.Body.String(), m) {
						t.Errorf("%s: %s carries %q (an observation)", name, target, m)
					}
				}
			}
		}
		dir := t.TempDir()
		for _, e := range []samverkantest.Expected{byName["skv-analytiker"].Expected, byName["fk-analytiker"].Expected} {
			req := export.Request{Identity: e.ID, MinZoom: 10, MaxZoom: 10, MaxTiles: 100, Operator: "test"}
			if _, err := export.PMTiles(ctx, tileSvc, db, req, dir+"/"+e.ID.Subject+".pmtiles"); !errors.Is(err, lagesbild.ErrForbidden) {
				t.Errorf("%s exports PMTiles: %v, want forbidden", e.ID.Subject, err)
			}
			if _, err := export.GeoPackage(ctx, db, req, dir+"/"+e.ID.Subject+".gpkg"); !errors.Is(err, lagesbild.ErrForbidden) {
				t.Errorf("%s exports a GeoPackage: %v, want forbidden", e.ID.Subject, err)
			}
		}
		path := dir + "/regional.pmtiles"
		if _, err := export.PMTiles(ctx, tileSvc, db, export.Request{Identity: samverkantest.Regional, MinZoom: 10, MaxZoom: 10,
			MaxTiles: 1000, Operator: "test"}, path); err != nil {
			t.Fatalf("regional PMTiles export: %v", err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rd, err := pmtiles.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		tile, err := rd.Tile(10, 562, 300)
		if err != nil || len(tile) == 0 {
			t.Fatalf("the exported tile over Tensta: %d bytes, %v", len(tile), err)
		}
		noObservationInTile(t, "regional PMTiles 10/562/300", tile, marks)
	})

	t.Run("decisions", func(t *testing.T) {
		fk, adm := byName["fk-analytiker"], byName["admin"]
		code, body := fk.do(t, h, "GET", "/api/v1/decisions", "")
		if code != 200 || listLen(body, "decisions") != 4 {
			t.Errorf("fk lists %d decisions (%d), want its 4", listLen(body, "decisions"), code)
		}
		if code, _ := fk.do(t, h, "GET", "/api/v1/decisions/"+samverkantest.NotMember, ""); code != http.StatusNotFound {
			t.Errorf("fk reading a decision it is no member of: %d, want 404", code)
		}
		if code, _ := fk.do(t, h, "POST", "/api/v1/decisions/"+samverkantest.Valid+"/revoke", ""); code != http.StatusForbidden {
			t.Errorf("fk revoking a decision: %d, want 403", code)
		}
		// Admins give accounts and tokens an agency through the API too.
		if code, body := adm.do(t, h, "POST", "/api/v1/admin/users", `{"username":"skv-ny","password":"ett langt losenord 123","role":"myndighet","scope":"5300","agency":"skv"}`); code != http.StatusCreated || body["agency"] != "skv" {
			t.Errorf("admin creates an agency user: %d %v", code, body)
		}
		code, body = adm.do(t, h, "POST", "/api/v1/admin/tokens", `{"role":"myndighet","scope":"all","agency":"mv","expires":"1d"}`)
		if code != http.StatusCreated || body["agency"] != "mv" {
			t.Fatalf("admin creates an agency token: %d %v", code, body)
		}
		mvNew := agencyCaller{token: body["token"].(string)}
		if code, body := mvNew.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 5 {
			t.Errorf("the new mv token lists %d observations (%d), want NotMember's 5", listLen(body, "observations"), code)
		}
		for _, bad := range []string{`{"role":"myndighet","scope":"all","expires":"1d"}`, `{"role":"regional","scope":"5300","agency":"skv","expires":"1d"}`,
			`{"role":"myndighet","scope":"all","agency":"SKV'--","expires":"1d"}`} {
			if code, body := adm.do(t, h, "POST", "/api/v1/admin/tokens", bad); code != http.StatusBadRequest {
				t.Errorf("token %s: %d %v, want 400", bad, code, body)
			}
		}
		newDec := `{"id":"SB-NEW","name":"Ny","purpose":"Test","agencies":["kfm","skv"],"scope":"Stockholm","valid_from":"2020-01-01","valid_until":"2099-12-31","decided_by":"Operativa rådet","decided_at":"2020-01-01"}`
		if code, body := adm.do(t, h, "POST", "/api/v1/decisions", newDec); code != http.StatusCreated {
			t.Fatalf("admin creates a decision: %d %v", code, body)
		}
		if code, _ := adm.do(t, h, "POST", "/api/v1/decisions", newDec); code != http.StatusConflict {
			t.Errorf("the same id again: %d, want 409", code)
		}
		for _, bad := range []struct{ body, param string }{
			{`{"id":"x y","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "id"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "agencies"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","nsa"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "agencies"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"all","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "scope"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"area_ids":["2025-SO99999"],"valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "scope"},
			{`{"id":"SB-B","name":"a","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2021-01-01","valid_until":"2020-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "valid_until"},
			{`{"id":"SB-B","name":"a\u0000","purpose":"b","agencies":["skv","fk"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"c","decided_at":"2020-01-01"}`, "name"},
		} {
			code, body := adm.do(t, h, "POST", "/api/v1/decisions", bad.body)
			e, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || e["parameter"] != bad.param {
				t.Errorf("bad decision %s: %d %v, want 400 naming %s", bad.body, code, body, bad.param)
			}
		}
	})

	t.Run("contribute", func(t *testing.T) {
		fk := byName["fk-analytiker"]
		csv := "source_id,agency,category,time,classification,decision,lat,lon\n" +
			"fk-post-1,fk,felaktig_utbetalning,2025-06-01 10:00,sekretess," + samverkantest.Valid + ",59.3945,17.9051\n"
		if code, body := fk.do(t, h, "POST", "/api/v1/observations?source=fk-api&format=csv", csv); code != 200 || body["inserted"] != 1.0 {
			t.Errorf("fk adds its own observation: %d %v", code, body)
		}
		// A small indicator: fk sees its own 3, the police of Stockholm a withheld value.
		ind := "source_id,agency,kind,category,time,value,classification,decision,area_id\n" +
			"fk-post-ind,fk,indicator,felaktig_utbetalning,2025-06,3,sekretess," + samverkantest.Valid + ",2025-SO9\n"
		if code, body := fk.do(t, h, "POST", "/api/v1/observations?source=fk-api&format=csv", ind); code != 200 || body["inserted"] != 1.0 {
			t.Errorf("fk adds an indicator: %d %v", code, body)
		}
		for _, c := range []struct {
			who        agencyCaller
			value      any
			suppressed any
		}{{fk, 3.0, nil}, {byName["pm-regional"], nil, true}, {byName["skv-analytiker"], nil, true}} {
			_, body := c.who.do(t, h, "GET", "/api/v1/observations?kind=indicator&from=2025-06-01&to=2025-06-30", "")
			obs, _ := body["observations"].([]any)
			if len(obs) != 1 {
				t.Errorf("%s lists %d indicators of June, want 1", c.who.ID.Subject, len(obs))
				continue
			}
			o := obs[0].(map[string]any)
			if o["value"] != c.value || o["suppressed"] != c.suppressed {
				t.Errorf("%s: the indicator of 3 listed as value %v, suppressed %v", c.who.ID.Subject, o["value"], o["suppressed"])
			}
		}
		other := strings.ReplaceAll(csv, "fk-post-1,fk,felaktig_utbetalning", "fk-post-2,skv,kontrollbesok")
		code, body := fk.do(t, h, "POST", "/api/v1/observations?source=fk-api&format=csv", other)
		rep, _ := body["report"].(map[string]any)
		if e, _ := body["error"].(map[string]any); code != http.StatusUnprocessableEntity || listLen(rep, "errors") != 1 || e["code"] != "rejected" {
			t.Errorf("fk adds skv's observation: %d %v, want 422 naming the record", code, body)
		}
		if code, _ := byName["admin"].do(t, h, "POST", "/api/v1/observations?source=x&format=xml", csv); code != http.StatusBadRequest {
			t.Errorf("format=xml: %d, want 400", code)
		}
	})

	t.Run("hostile parameters", func(t *testing.T) {
		skv := byName["skv-analytiker"]
		for _, c := range []struct{ target, param string }{
			{"/api/v1/observations?from=2025-13-01", "from"},
			{"/api/v1/observations?to=x%00y", "to"},
			{"/api/v1/observations?region=5300%27%20OR%201=1", "region"},
			{"/api/v1/observations?area=" + url.QueryEscape("2025-SO9' OR '1'='1"), "area"},
			{"/api/v1/observations?agency=" + strings.Repeat("a", 5000), "agency"},
			{"/api/v1/observations?category=DROP%20TABLE", "category"},
			{"/api/v1/observations?kind=all", "kind"},
			{"/api/v1/observations?bbox=1,2,3", "bbox"},
			{"/api/v1/observations?bbox=NaN,1,2,3", "bbox"},
			{"/api/v1/observations?limit=-1", "limit"},
			{"/api/v1/observations?limit=99999999999999999999", "limit"},
			{"/api/v1/observations?format=csv", "format"},
			{"/api/v1/observations?decision=SB-VALID", "decision"},
			{"/api/v1/disclosures?since=yesterday", "since"},
			{"/api/v1/disclosures?agency=" + url.QueryEscape("skv'--"), "agency"},
			{"/api/v1/areas/2025-SO9/observations?from=0000-00-00", "from"},
			{"/api/v1/decisions/" + url.PathEscape("../../etc"), "decision"},
			{"/api/v1/disclosures?until=2025-02-30", "until"},
			{"/api/v1/disclosures?since=2025-05-02&until=2025-05-01", "until"},
			{"/api/v1/disclosures?limit=0", "limit"},
			{"/api/v1/disclosures?limit=1e3", "limit"},
			{"/api/v1/disclosures?since=" + url.QueryEscape("2025-05-01T00:00:00+99:00"), "since"},
			{"/api/v1/disclosures?owner=skv", "owner"},
			{"/api/v1/areas/2025-SO9/observations?to=" + url.QueryEscape("<script>"), "to"},
			{"/api/v1/areas/2025-SO9/observations?agency=skv", "agency"},
			{"/api/v1/observation-categories?x=1", "x"},
			{"/api/v1/decisions?status=valid", "status"},
			{"/ogc/collections/observationer/items?limit=abc", "limit"},
			{"/ogc/collections/observationer/items?bbox=1,2", "bbox"},
			{"/ogc/collections/observationer/items?datetime=" + url.QueryEscape("2025-05-01' OR 1=1"), "datetime"},
			{"/ogc/collections/observationer/items?offset=-5", "offset"},
		} {
			code, body := skv.do(t, h, "GET", c.target, "")
			e, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || e["parameter"] != c.param {
				t.Errorf("GET %.80s: %d %v, want 400 naming %s", c.target, code, body, c.param)
			}
		}
		if code, _ := skv.do(t, h, "GET", "/ogc/collections/observationer/items/"+url.PathEscape("obs-1' OR '1'='1"), ""); code != http.StatusNotFound {
			t.Errorf("a hostile feature id: %d, want 404", code)
		}
		reg, fk, adm := byName["pm-regional"], byName["fk-analytiker"], byName["admin"]
		decision := func(field, value string) string {
			m := map[string]any{"id": "SB-H", "name": "a", "purpose": "b", "agencies": []string{"skv", "fk"}, "scope": "5300",
				"valid_from": "2020-01-01", "valid_until": "2021-01-01", "decided_by": "c", "decided_at": "2020-01-01"}
			if field == "agencies" || field == "area_ids" {
				m[field] = []string{value}
			} else {
				m[field] = value
			}
			b, _ := json.Marshal(m)
			return string(b)
		}
		for _, c := range []struct {
			who                  agencyCaller
			method, target, body string
			param                string
		}{
			{reg, "GET", "/api/v1/regions/5300/report?from=2025-99-01", "", "from"},
			{reg, "GET", "/api/v1/regions/5300/report?set=1e9", "", "set"},
			{reg, "GET", "/api/v1/regions/5300/report?to=" + url.QueryEscape("2025-05-31' OR 1=1"), "", "to"},
			{reg, "GET", "/api/v1/regions/" + url.PathEscape("5300'--") + "/report", "", "code"},
			{reg, "GET", "/api/v1/regions/5300/report?agency=skv", "", "agency"},
			{fk, "POST", "/api/v1/observations?source=" + url.QueryEscape("a\x00b") + "&format=csv", "source_id\n", "source"},
			{fk, "POST", "/api/v1/observations?source=" + strings.Repeat("s", 200) + "&format=csv", "source_id\n", "source"},
			{fk, "POST", "/api/v1/observations?source=x&format=" + url.QueryEscape("csv;rm -rf"), "source_id\n", "format"},
			{fk, "POST", "/api/v1/observations?source=x&decision=SB-VALID", "source_id\n", "decision"},
			{adm, "POST", "/api/v1/decisions", decision("valid_from", "2020-01-01T00:00:00+25:00"), "valid_from"},
			{adm, "POST", "/api/v1/decisions", decision("decided_at", "igår"), "decided_at"},
			{adm, "POST", "/api/v1/decisions", decision("area_ids", "2025-SO9'; DROP TABLE area; --"), "area_ids"},
			{adm, "POST", "/api/v1/decisions", decision("legal_basis", strings.Repeat("§", 501)), "legal_basis"},
			{adm, "POST", "/api/v1/decisions", decision("purpose", "a\x1bb"), "purpose"},
			{adm, "POST", "/api/v1/decisions", decision("decided_by", " "), "decided_by"},
			{adm, "POST", "/api/v1/decisions", decision("scope", "5300,9999"), "scope"},
			{adm, "POST", "/api/v1/decisions", decision("id", strings.Repeat("A", 41)), "id"},
			{adm, "POST", "/api/v1/decisions/" + url.PathEscape("SB VALID") + "/revoke", "", "decision"},
			{adm, "PUT", "/api/v1/decisions/" + url.PathEscape("<b>"), decision("name", "x"), "decision"},
		} {
			code, body := c.who.do(t, h, c.method, c.target, c.body)
			e, _ := body["error"].(map[string]any)
			if code != http.StatusBadRequest || e["parameter"] != c.param {
				t.Errorf("%s %.80s: %d %v, want 400 naming %s", c.method, c.target, code, body, c.param)
			}
		}
	})

	t.Run("revocation and expiry take effect at once", func(t *testing.T) {
		adm, fk, reg, mv := byName["admin"], byName["fk-analytiker"], byName["pm-regional"], byName["mv-analytiker"]
		const tile = "/tiles/omraden/10/562/300.mvt"
		before := reg.get(t, h, tile, nil)
		etag := before.Header().Get("ETag")
		if before.Code != 200 || etag == "" {
			t.Fatalf("tile before revocation: %d, ETag %q", before.Code, etag)
		}
		if code, body := adm.do(t, h, "POST", "/api/v1/decisions/"+samverkantest.Valid+"/revoke", ""); code != 200 || body["status"] != "revoked" {
			t.Fatalf("revoke: %d %v", code, body)
		}
		// Every cache key and ETag holds the data version, which a decision's change moves on.
		after := reg.get(t, h, tile, map[string]string{"If-None-Match": etag})
		if after.Code == http.StatusNotModified || after.Header().Get("ETag") == etag {
			t.Errorf("the tile's ETag survives the revocation: %d, %q", after.Code, after.Header().Get("ETag"))
		}
		// Every endpoint of every caller, at once: only what needs no Valid is left.
		for _, c := range callers {
			if c.ID.Role == auth.RoleAdmin {
				continue
			}
			want := c.AfterRevoke
			if c.ID.Agency == "fk" {
				want += 2 - sensitive // the two it added; the sensitive ones unlisted
			}
			if _, body := c.do(t, h, "GET", "/ogc/collections/observationer/items?limit=1000", ""); body["numberMatched"] != float64(want) {
				t.Errorf("%s: OGC items after revocation %v, want %d", c.ID.Subject, body["numberMatched"], want)
			}
			if _, body := c.do(t, h, "GET", "/api/v1/observations?format=geojson", ""); listLen(body, "features") != want {
				t.Errorf("%s: GeoJSON after revocation %d, want %d", c.ID.Subject, listLen(body, "features"), want)
			}
		}
		for _, name := range []string{"pm-regional", "pm-jarva"} {
			c := byName[name]
			if _, body := c.do(t, h, "GET", "/api/v1/areas/2025-SO9/summary?from=2025-05-01&to=2025-05-31", ""); pictureTotal(body) != 0 {
				t.Errorf("%s: summary after revocation %v", name, body["observations"])
			}
			_, body := c.do(t, h, "GET", "/api/v1/priority?set=2025&from=2025-05-01&to=2025-05-31", "")
			if obs, _ := body["observations"].(map[string]any); len(obs) != 0 {
				t.Errorf("%s: ranking after revocation %v", name, obs)
			}
			for _, target := range []string{"/api/v1/areas/2025-SO9/report?from=2025-05-01&to=2025-05-31", "/api/v1/regions/5300/report?from=2025-05-01&to=2025-05-31"} {
				rec := c.get(t, h, target, nil)
				if strings.Contains(rec.Body.String(), samverkantest.Valid) || strings.Contains(rec.Body.String(), "Delat enligt") {
					t.Errorf("%s: %s after revocation still shows what %s shared (%d)\n%s", name, target, samverkantest.Valid, rec.Code, rec.Body.String())
				}
			}
		}
		// fk keeps its own (10 records, the indicator and the two it added; sensitive ones unlisted).
		if code, body := fk.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 13 {
			t.Errorf("fk after revocation: %d rows, want its own 13", listLen(body, "observations"))
		}
		if code, body := reg.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 0 {
			t.Errorf("police after revocation: %d rows, want 0", listLen(body, "observations"))
		}
		if _, body := reg.do(t, h, "GET", "/api/v1/areas/2025-SO9/observations", ""); pictureTotal(body) != 0 {
			t.Errorf("police area picture after revocation: %v", body)
		}
		// Expiry: the decision's end moved into the past.
		exp := `{"name":"Skv och Mv","purpose":"Arbetsplatskontroller","agencies":["skv","mv"],"scope":"5300","valid_from":"2020-01-01","valid_until":"2021-01-01","decided_by":"Operativa rådet","decided_at":"2020-01-01"}`
		if code, body := adm.do(t, h, "PUT", "/api/v1/decisions/"+samverkantest.NotMember, exp); code != 200 || body["status"] != "expired" {
			t.Fatalf("expire: %d %v", code, body)
		}
		if code, body := mv.do(t, h, "GET", "/api/v1/observations", ""); code != 200 || listLen(body, "observations") != 0 {
			t.Errorf("mv after expiry: %d rows, want 0", listLen(body, "observations"))
		}
		if code, body := adm.do(t, h, "GET", "/api/v1/decisions/"+samverkantest.NotMember, ""); code != 200 || listLen(body, "history") != 2 {
			t.Errorf("history of an updated decision: %d %v", code, body)
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestJointDemoRegionReport loads the demo (incidents, presence, operations, the two synthetic
// decisions and the agencies' synthetic observations) and reads the samverkansråd lägesbild of
// Stockholm as its regional analyst: at least four agencies' contributions, each labelled with
// its owner and the demo decision, marked synthetic, and the operations of the period with
// their follow-up.
func TestJointDemoRegionReport(t *testing.T) {
	db, _ := pgtest.New(t)
	o := demo.Options{Seed: 11, Scale: 0.05}
	loadDemo(t, db, o, true)
	ctx := context.Background()
	svc := &samverkan.Service{DecisionStore: db, Store: db, Units: db}
	for _, d := range demo.Decisions {
		if _, err := svc.CreateDecision(ctx, samverkan.DecisionInput{ID: d.ID, Name: d.Name, Purpose: d.Purpose, Agencies: d.Agencies,
			Scope: d.Region, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, DecidedBy: d.DecidedBy, DecidedAt: d.ValidFrom, Demo: true}, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	b, err := refdata.Load(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := demo.Observations(demo.FromRefdata(b, 2025), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportObservations(ctx, "demo", lagesbild.SourceSyntheticDemo, obs, nil); err != nil {
		t.Fatal(err)
	}
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Summaries: summary.New(db, summary.Options{}),
		Analysis: analysis.New(db, analysis.Options{}), Samverkan: svc, Features: db}
	h := withCaller(t, db, api, auth.RoleRegional, "5300")
	operations, followUps := 0, 0
	for _, region := range []string{"5300"} {
		req := httptest.NewRequest("GET", "/api/v1/regions/"+region+"/report?"+demoPeriod, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		html := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("region report %s: %d %s", region, rec.Code, html)
		}
		i := strings.Index(html, "<h2>Myndigheternas bidrag</h2>")
		j := strings.Index(html, "<h2>Insatser och uppföljning</h2>")
		if i < 0 || j < i {
			t.Fatalf("region report %s without its sections:\n%s", region, html)
		}
		contrib := html[i:j]
		agencies := 0
		for _, a := range []string{"Skatteverket", "Försäkringskassan", "Migrationsverket", "Kronofogdemyndigheten"} {
			if strings.Contains(contrib, "<td>"+a+"</td><td>Delat enligt samverkansbeslut SB-DEMO-STHLM") {
				agencies++
			}
		}
		if agencies < 4 || !strings.Contains(contrib, "syntetiska") || !strings.Contains(html, "SYNTETISKA") {
			t.Errorf("region %s: %d agencies' contributions under SB-DEMO-STHLM, want 4, marked synthetic:\n%s", region, agencies, contrib)
		}
		ops := html[j:]
		operations += strings.Count(ops, "<tr><td>")
		followUps += strings.Count(ops, "kvot mot kontroller")
		if os.Getenv("SHOW_REPORT") != "" {
			t.Log(ops)
		}
	}
	if operations < 1 || followUps < 1 {
		t.Errorf("%d operations of the period in the region report, %d followed up", operations, followUps)
	}
}
