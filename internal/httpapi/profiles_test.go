package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/summary"
)

func TestWeightProfiles(t *testing.T) {
	db, _ := pgtest.New(t)
	svc := auth.NewService(db, false)
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Summaries: summary.New(db, summary.Options{}),
		Profiles: db, Auth: svc}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	token := func(role auth.Role, scope string) string {
		tok, _, err := svc.CreateToken(context.Background(), auth.TokenRequest{Role: role, Scope: scope, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ost, stockholm, lokal, nat := token(auth.RoleRegional, "5400"), token(auth.RoleRegional, "5300"),
		token(auth.RoleLokal, "540210"), token(auth.RoleNationell, "")
	do := func(tok, method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	profile := `{"region_code":"5400","description":"Östs viktning","weights":{"violent_rate":0.7,"trend":0.3}}`
	for _, c := range []struct {
		name, tok, method, path, body string
		want                          int
	}{
		{"a region keeps its own profile", ost, "PUT", "/api/v1/priority/profiles/ost-vald", profile, 204},
		{"not another region's", stockholm, "PUT", "/api/v1/priority/profiles/ost-vald", profile, 403},
		{"nor can a lokal user", lokal, "PUT", "/api/v1/priority/profiles/lokal", profile, 403},
		{"a regional user keeps no national profile", ost, "PUT", "/api/v1/priority/profiles/nat", `{"weights":{"trend":1}}`, 403},
		{"a national one", nat, "PUT", "/api/v1/priority/profiles/nat", `{"weights":{"trend":1}}`, 204},
		{"unknown component", nat, "PUT", "/api/v1/priority/profiles/bad", `{"weights":{"nope":1}}`, 400},
		{"bad name", nat, "PUT", "/api/v1/priority/profiles/Bad%20Name", `{"weights":{"trend":1}}`, 400},
		{"no weights", nat, "PUT", "/api/v1/priority/profiles/empty", `{"weights":{}}`, 400},
		{"the region uses it", ost, "GET", "/api/v1/priority?set=2025&profile=ost-vald", "", 200},
		{"its LPOs too", lokal, "GET", "/api/v1/priority?set=2025&profile=ost-vald", "", 200},
		{"another region does not see it", stockholm, "GET", "/api/v1/priority?set=2025&profile=ost-vald", "", 404},
		{"weights and profile together", ost, "GET", "/api/v1/priority?set=2025&profile=ost-vald&weights=trend:1", "", 400},
		{"another region cannot delete it", stockholm, "DELETE", "/api/v1/priority/profiles/ost-vald", "", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, body := do(c.tok, c.method, c.path, c.body); got != c.want {
				t.Errorf("%s %s = %d, want %d: %s", c.method, c.path, got, c.want, body)
			}
		})
	}
	_, body := do(ost, "GET", "/api/v1/priority?set=2025&profile=ost-vald", "")
	var pr struct {
		Profile string             `json:"profile"`
		Weights map[string]float64 `json:"weights"`
	}
	if err := json.Unmarshal(body, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Profile != "ost-vald" || pr.Weights["violent_rate"] != 0.7 || pr.Weights["trend"] != 0.3 {
		t.Errorf("priority with the profile: %+v", pr)
	}
	var list struct {
		Profiles []struct{ Name string } `json:"profiles"`
	}
	_, body = do(stockholm, "GET", "/api/v1/priority/profiles", "")
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Profiles) != 1 || list.Profiles[0].Name != "nat" {
		t.Errorf("region Stockholm sees profiles %+v, want only the national one", list.Profiles)
	}
	if got, _ := do(ost, "DELETE", "/api/v1/priority/profiles/ost-vald", ""); got != 204 {
		t.Errorf("delete own profile: %d", got)
	}
	if got, _ := do(ost, "GET", "/api/v1/priority?set=2025&profile=ost-vald", ""); got != 404 {
		t.Errorf("deleted profile still used: %d", got)
	}
}
