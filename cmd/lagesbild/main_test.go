package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/pgmanaged"
	"github.com/lagesbild/lagesbild/internal/postgis"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// service runs `lagesbild serve --addr 127.0.0.1:0` in-process with env and returns its base URL
// and a function that stops it (as SIGINT would) and returns run's error.
func service(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	u, stop, _ := serviceOutput(t, env)
	return u, stop
}

// serviceOutput is service that also returns what serve printed before its URL.
func serviceOutput(t *testing.T, env map[string]string) (string, func() error, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	finished := make(chan struct{})
	var runErr error
	getenv := func(k string) string { return env[k] }
	args := []string{"serve", "--addr", "127.0.0.1:0"}
	if env["DEMO"] != "" {
		args = append(args, "--demo")
	}
	go func() {
		runErr = run(ctx, args, getenv, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		close(finished)
	}()
	urlRe := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)
	lines := bufio.NewScanner(pr)
	var printed []string
	for lines.Scan() {
		if u := urlRe.FindString(lines.Text()); u != "" {
			go io.Copy(io.Discard, pr) //nolint:errcheck // drain the rest
			stop := func() error { cancel(); <-finished; return runErr }
			t.Cleanup(func() { cancel(); <-finished })
			return u, stop, printed
		}
		printed = append(printed, lines.Text())
	}
	cancel()
	<-finished
	t.Fatalf("serve exited before printing its URL: %v", runErr)
	return "", nil, nil
}

// runCLI runs one lagesbild command in-process with env and returns its stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, string) {
	t.Helper()
	var out, errOut strings.Builder
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("lagesbild %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// bearer is the API token getJSON sends; empty: none.
var bearer string

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	return resp.StatusCode
}

func randomDBName() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return "lagesbild_e2e_" + hex.EncodeToString(b[:])
}

func repoDataDir(t *testing.T) string {
	if d := os.Getenv("LAGESBILD_DATA_DIR"); d != "" {
		return d
	}
	abs, err := filepath.Abs("../../var")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestEndToEnd starts the whole service with run on port 0 against the managed cluster (its own
// database in it), as `make run` does, and walks the first user journey: the map page, the lists,
// the areas of a list, one area.
func TestEndToEnd(t *testing.T) {
	admin := pgtest.ServerURL(t) // starts or reuses the managed cluster
	name := randomDBName()
	env := map[string]string{"LAGESBILD_DATA_DIR": repoDataDir(t), "LAGESBILD_DB_NAME": name, "LAGESBILD_LOG_LEVEL": "warn"}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		url, err := postgis.SetDatabaseURL(u, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := postgis.EnsureDatabase(context.Background(), admin, name, ""); err != nil {
			t.Fatal(err)
		}
		env["DATABASE_URL"] = url
	}
	t.Cleanup(func() { _ = postgis.DropDatabase(context.Background(), admin, name) })

	// Accounts come from the command line, as an administrator would make them.
	cli := map[string]string{"LAGESBILD_PASSWORD": "e2e-lösenord-" + randomDBName()}
	for k, v := range env {
		cli[k] = v
	}
	runCLI(t, cli, "user", "add", "e2e-analytiker", "--role", "nationell", "--name", "E2E Analytiker")
	list, _ := runCLI(t, cli, "user", "list")
	if !strings.Contains(list, "e2e-analytiker") || !strings.Contains(list, "nationell") {
		t.Errorf("user list:\n%s", list)
	}
	token, details := runCLI(t, cli, "token", "create", "--role", "nationell", "--name", "e2e")
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, "lgb_") || strings.Contains(token, "\n") || !strings.Contains(details, "shown only now") {
		t.Fatalf("token create printed %q on stdout and %q on stderr; want only the token on stdout", token, details)
	}
	lokal, _ := runCLI(t, cli, "token", "create", "--role", "lokal", "--scope", "Linköping", "--expires", "1d")
	lokal = strings.TrimSpace(lokal)

	base, stop := service(t, env)
	if code := getJSON(t, base+"readyz", nil); code != 200 {
		t.Fatalf("/readyz = %d", code)
	}
	if code := getJSON(t, base+"api/v1/area-sets", nil); code != 401 {
		t.Errorf("area sets without credentials: %d, want 401", code)
	}
	// A lokal token for Linköping sees its areas only.
	bearer = lokal
	var local struct {
		Features []struct {
			Properties struct {
				LPO string `json:"lpo_kod"`
			} `json:"properties"`
		} `json:"features"`
	}
	if code := getJSON(t, base+"api/v1/areas?set=2025", &local); code != 200 || len(local.Features) == 0 {
		t.Errorf("lokal areas: %d, %d features", code, len(local.Features))
	}
	for _, f := range local.Features {
		if f.Properties.LPO != "540210" {
			t.Errorf("lokal 540210 token got an area of LPO %q", f.Properties.LPO)
		}
	}
	bearer = token
	defer func() { bearer = "" }()
	var sets struct {
		AreaSets []struct {
			Year      int `json:"year"`
			AreaCount int `json:"area_count"`
		} `json:"area_sets"`
	}
	getJSON(t, base+"api/v1/area-sets", &sets)
	if len(sets.AreaSets) != 6 || sets.AreaSets[5].Year != 2025 || sets.AreaSets[5].AreaCount != 65 {
		t.Errorf("area sets = %+v", sets.AreaSets)
	}
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if code := getJSON(t, base+"api/v1/areas?set=2015", &fc); code != 200 || len(fc.Features) != 53 {
		t.Fatalf("set=2015: %d, %d features; want 200, 53", code, len(fc.Features))
	}
	if code := getJSON(t, base+"api/v1/areas/"+fc.Features[0].ID, nil); code != 200 {
		t.Errorf("area %s: %d", fc.Features[0].ID, code)
	}
	// The service reads as its own login role, which row-level security applies to.
	var asService int
	conn := pgtest.Conn(t, admin)
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = 'lagesbild_service'`, name).Scan(&asService); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("TEST_DATABASE_URL") == "" && asService == 0 {
		t.Error("no connection of the service runs as lagesbild_service")
	}
	smokeUser, smokePassword = "e2e-analytiker", cli["LAGESBILD_PASSWORD"]
	defer func() { smokeUser, smokePassword = "", "" }()
	browserSmoke(t, base)
	// A disabled account cannot log in any more, from the next request on.
	runCLI(t, cli, "user", "disable", "e2e-analytiker")
	login, err := http.Post(base+"api/v1/session", "application/json",
		strings.NewReader(`{"username":"e2e-analytiker","password":"`+cli["LAGESBILD_PASSWORD"]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	login.Body.Close()
	if login.StatusCode != http.StatusUnauthorized {
		t.Errorf("login of a disabled user: %d, want 401", login.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
	// Every read above is in the audit log, and so is the browser's login.
	audit, _ := runCLI(t, cli, "audit", "--limit", "1000")
	for _, want := range []string{"/api/v1/areas/", "/api/v1/area-sets", "login", "e2e-analytiker", "token:"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
	// The test reused a running cluster, so serve must have left it running.
	st, err := pgmanaged.GetStatus(env["LAGESBILD_DATA_DIR"])
	if err != nil || (os.Getenv("TEST_DATABASE_URL") == "" && !st.Running) {
		t.Errorf("shared cluster after serve stopped: %+v, %v", st, err)
	}
}

// smokeUser and smokePassword, when set, are the login browserSmoke uses: the smoke script then
// expects the login form first, tries a wrong password, logs in and finally logs out.
var smokeUser, smokePassword string

// browserSmoke opens the map in headless Chromium (web/test/smoke.mjs) and checks that the areas
// render. In CI a missing browser is a failure; elsewhere the test says what to install.
func browserSmoke(t *testing.T, base string) {
	t.Helper()
	script, _ := filepath.Abs("../../web/test/smoke.mjs")
	_, errChromium := os.Stat("/usr/bin/chromium")
	_, errModules := os.Stat(filepath.Join(filepath.Dir(script), "..", "node_modules", "playwright-core"))
	_, errNode := exec.LookPath("node")
	if errChromium != nil || errModules != nil || errNode != nil {
		msg := "headless Chromium test needs /usr/bin/chromium, node and web/node_modules (make test installs them)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Log("skipping browser check: " + msg)
		return
	}
	shot := filepath.Join(t.TempDir(), "map.png")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, set := range []string{"2025", "2015"} {
		cmd := exec.CommandContext(ctx, "node", script, base, shot, set)
		if smokeUser != "" {
			// Through the environment, not argv, so that the password stays out of process lists.
			cmd.Env = append(os.Environ(), "LAGESBILD_SMOKE_USER="+smokeUser, "LAGESBILD_SMOKE_PASSWORD="+smokePassword)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("browser smoke test (set %s): %v\n%s", set, err, out)
		}
		var res struct {
			OK        bool `json:"ok"`
			AreaCount int  `json:"areaCount"`
			Rendered  int  `json:"rendered"`
		}
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:]
		}
		if err := json.Unmarshal([]byte(last), &res); err != nil || !res.OK || res.Rendered == 0 {
			t.Fatalf("browser smoke test (set %s): %s", set, out)
		}
		t.Logf("browser: set %s: %d areas loaded, %d rendered", set, res.AreaCount, res.Rendered)
		want := map[string]int{"2025": 65, "2015": 53}[set]
		if res.AreaCount != want {
			t.Errorf("browser loaded %d areas of %s, want %d", res.AreaCount, set, want)
		}
	}
}

// TestServeLeavesNoOrphans gives serve a data dir of its own, so serve starts the cluster itself,
// in demo mode as make run does (with a small demo), and checks that the demo data is served and
// that stopping serve stops PostgreSQL too.
func TestServeLeavesNoOrphans(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("TEST_DATABASE_URL set: no managed cluster to check")
	}
	dir := t.TempDir()
	t.Cleanup(func() { _ = pgmanaged.StopDataDir(context.Background(), dir, nil) })
	base, stop, printed := serviceOutput(t, map[string]string{"LAGESBILD_DATA_DIR": dir, "LAGESBILD_LOG_LEVEL": "warn",
		"DEMO": "1", "LAGESBILD_DEMO_SCALE": "0.01", "LAGESBILD_ADMIN_ADDR": "127.0.0.1:0"})
	// serve --demo prints a demo account per role; log in as the national one, as a browser does.
	passwords := map[string]string{}
	for _, l := range printed {
		if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "demo-") {
			passwords[f[0]] = f[1]
		}
	}
	for _, u := range []string{"demo-nationell", "demo-regional", "demo-lokal", "demo-gis", "demo-admin"} {
		if passwords[u] == "" {
			t.Fatalf("serve --demo did not print the account %s:\n%s", u, strings.Join(printed, "\n"))
		}
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	login, err := client.Post(base+"api/v1/session", "application/json",
		strings.NewReader(`{"username":"demo-nationell","password":"`+passwords["demo-nationell"]+`"}`))
	if err != nil || login.StatusCode != 200 {
		t.Fatalf("demo login: %v %v", login, err)
	}
	login.Body.Close()
	resp, err := client.Get(base + "tiles/h3/5/17/9.mvt")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("demo incidents not in the h3 tiles: %v %v", resp, err)
	}
	resp.Body.Close()
	checkAdmin(t, base, printed)
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	areas, err := client.Get(base + "api/v1/areas?set=2025")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(areas.Body).Decode(&fc)
	areas.Body.Close()
	if err != nil || areas.StatusCode != 200 || len(fc.Features) != 65 {
		t.Fatalf("set=2025: %d, %d features, %v", areas.StatusCode, len(fc.Features), err)
	}
	st, err := pgmanaged.GetStatus(dir)
	if err != nil || !st.Running {
		t.Fatalf("cluster not running while serving: %+v %v", st, err)
	}
	pid := st.PID
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	st, err = pgmanaged.GetStatus(dir)
	if err != nil || st.Running {
		t.Fatalf("cluster still running after serve stopped: %+v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join("/proc", itoa(pid))); err == nil {
		if cmdline, _ := os.ReadFile(filepath.Join("/proc", itoa(pid), "cmdline")); strings.Contains(string(cmdline), dir) {
			t.Fatalf("postgres pid %d still alive", pid)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
