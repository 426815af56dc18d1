package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
	"github.com/lagesbild/lagesbild/internal/samverkan"
	"github.com/lagesbild/lagesbild/internal/summary"
)

// TestDemoJointLagesbild runs `lagesbild demo` and logs in with the demo accounts it prints:
// each agency's analyst (skv, fk, mv, kfm) sees the other agencies' synthetic observations
// under the demo samverkansbeslut of its regions, labelled with owner and decision, and the
// police's regional analyst of Stockholm sees at least four agencies' beside its own picture.
func TestDemoJointLagesbild(t *testing.T) {
	db, url := pgtest.New(t)
	env := map[string]string{"DATABASE_URL": url, "LAGESBILD_LOG_LEVEL": "warn"}
	out, _ := runCLI(t, env, "demo", "--scale", "0.01")
	if !strings.Contains(out, "SYNTHETIC observations of five agencies under 2 synthetic samverkansbeslut") {
		t.Errorf("demo output without the joint lägesbild:\n%s", out)
	}
	passwords := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(demo-[a-z]+)\s+(demo-\S+)\s`).FindAllStringSubmatch(out, -1) {
		passwords[m[1]] = m[2]
	}
	api := &httpapi.Server{Areas: db, Ready: db, Logger: pgtest.Logger(t), Features: db, Auth: auth.NewService(db, true),
		Samverkan: &samverkan.Service{DecisionStore: db, Store: db, Units: db}, Summaries: summary.New(db, summary.Options{})}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	for _, c := range []struct {
		user   string
		others int // at least this many other agencies seen
	}{{"demo-skv", 3}, {"demo-fk", 3}, {"demo-mv", 3}, {"demo-kfm", 3}, {"demo-regional", 4}} {
		pw := passwords[c.user]
		if pw == "" {
			t.Errorf("the demo printed no account %s:\n%s", c.user, out)
			continue
		}
		jar, _ := cookiejar.New(nil)
		client := &http.Client{Jar: jar}
		body, _ := json.Marshal(map[string]string{"username": c.user, "password": pw})
		resp, err := client.Post(srv.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s logs in: %d", c.user, resp.StatusCode)
			continue
		}
		resp, err = client.Get(srv.URL + "/api/v1/observations?limit=10000")
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Observations []struct {
				Agency     string `json:"agency"`
				DecisionID string `json:"decision_id"`
				Basis      string `json:"basis"`
				Synthetic  bool   `json:"synthetic"`
			} `json:"observations"`
			Disclosed []struct {
				Owner, Decision string
			} `json:"disclosed"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Errorf("%s lists observations: %d %v", c.user, resp.StatusCode, err)
			continue
		}
		me := strings.TrimPrefix(c.user, "demo-")
		others := map[string]bool{}
		for _, o := range list.Observations {
			if !o.Synthetic {
				t.Errorf("%s sees an observation not marked synthetic: %+v", c.user, o)
			}
			if o.Agency == me {
				continue
			}
			if !strings.HasPrefix(o.DecisionID, "SB-DEMO-") || o.Basis != "Delat enligt samverkansbeslut "+o.DecisionID {
				t.Errorf("%s sees %s's observation under %q labelled %q", c.user, o.Agency, o.DecisionID, o.Basis)
			}
			others[o.Agency] = true
		}
		if len(others) < c.others || len(list.Disclosed) < c.others {
			t.Errorf("%s sees %d observations of %d other agencies (%v), %d disclosures noted; want %d agencies", c.user,
				len(list.Observations), len(others), others, len(list.Disclosed), c.others)
		}
		t.Logf("%s: %d observations, other agencies %v", c.user, len(list.Observations), others)
	}
}
