package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/pgmanaged"
)

// TestBrowserJourneys runs the map's user journeys (web/test/journeys.mjs) in headless Chromium
// against `serve --demo` with a cluster of its own (a data dir of its own), because the last
// journey stops that cluster to see the outage message. Screenshots go to
// $LAGESBILD_SCREENSHOT_DIR, else var/screenshots; timings are logged for docs/benchmarks.md,
// never asserted.
// journeyStall is how long one journey step may go without a line before it counts as a hang.
const journeyStall = 5 * time.Minute

func TestBrowserJourneys(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("TEST_DATABASE_URL set: the outage journey needs a managed cluster of its own")
	}
	script, _ := filepath.Abs("../../web/test/journeys.mjs")
	_, errChromium := os.Stat("/usr/bin/chromium")
	_, errModules := os.Stat(filepath.Join(filepath.Dir(script), "..", "node_modules", "axe-core"))
	_, errNode := exec.LookPath("node")
	if errChromium != nil || errModules != nil || errNode != nil {
		msg := "browser journeys need /usr/bin/chromium, node and web/node_modules (make test installs them)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	t.Cleanup(func() { _ = pgmanaged.StopDataDir(context.Background(), dir, nil) })
	// A small demo keeps the test quick; LAGESBILD_BROWSER_DEMO_SCALE raises it for the
	// screenshots committed under docs/screenshots.
	scale := os.Getenv("LAGESBILD_BROWSER_DEMO_SCALE")
	if scale == "" {
		scale = "0.05"
	}
	base, _, printed := serviceOutput(t, map[string]string{"LAGESBILD_DATA_DIR": dir, "LAGESBILD_LOG_LEVEL": "error",
		"DEMO": "1", "LAGESBILD_DEMO_SCALE": scale})
	passwords := map[string]string{}
	for _, l := range printed {
		if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "demo-") {
			passwords[f[0]] = f[1]
		}
	}
	shots := os.Getenv("LAGESBILD_SCREENSHOT_DIR")
	if shots == "" {
		shots, _ = filepath.Abs("../../var/screenshots")
	}

	// The journeys take 2-6 minutes on an idle machine and far longer on a busy one; what is
	// bounded is silence: every step prints a STEP line, and a step that stays silent for
	// journeyStall is taken for a hang and killed (the overall bound only catches a runaway).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	progress := make(chan struct{}, 1)
	stalled := make(chan string, 1)
	go func() {
		timer := time.NewTimer(journeyStall)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-progress:
				if !ok {
					return
				}
				timer.Reset(journeyStall)
			case <-timer.C:
				stalled <- fmt.Sprintf("no progress for %s", journeyStall)
				cancel()
				return
			}
		}
	}()
	cmd := exec.CommandContext(ctx, "node", script, base, shots)
	cmd.Dir = filepath.Dir(script)
	// Passwords through the environment, not argv.
	cmd.Env = append(os.Environ(),
		"LAGESBILD_NATIONAL_USER=demo-nationell", "LAGESBILD_NATIONAL_PASSWORD="+passwords["demo-nationell"],
		"LAGESBILD_LOKAL_USER=demo-lokal", "LAGESBILD_LOKAL_PASSWORD="+passwords["demo-lokal"],
		"LAGESBILD_REGIONAL_USER=demo-regional", "LAGESBILD_REGIONAL_PASSWORD="+passwords["demo-regional"], "LAGESBILD_REGIONAL_REGION=5300",
		"LAGESBILD_LOKAL_LPO=531350",
		"LAGESBILD_AGENCY_USER=demo-skv", "LAGESBILD_AGENCY_PASSWORD="+passwords["demo-skv"])
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var last string
	stopped := false
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	step := ""
	for lines.Scan() {
		line := lines.Text()
		select {
		case progress <- struct{}{}:
		default:
		}
		if name, ok := strings.CutPrefix(line, "STEP "); ok {
			step = name
			continue
		}
		if line == "STOP_DB" {
			// The outage journey: the database goes away under a logged-in page.
			if err := pgmanaged.StopDataDir(ctx, dir, nil); err != nil {
				t.Errorf("stop the cluster: %v", err)
			}
			stopped = true
			_, _ = stdin.Write([]byte("STOPPED\n"))
			continue
		}
		last = line
	}
	waitErr := cmd.Wait()
	close(progress)
	select {
	case why := <-stalled:
		t.Fatalf("journeys.mjs killed in step %q: %s\n%s", step, why, stderr.String())
	default:
	}
	var res struct {
		OK       bool           `json:"ok"`
		Checks   []string       `json:"checks"`
		Skipped  []string       `json:"skipped"`
		Offsite  int            `json:"offsite"`
		Bench    map[string]any `json:"bench"`
		Problems []string       `json:"problems"`
	}
	if err := json.Unmarshal([]byte(last), &res); err != nil {
		t.Fatalf("journeys.mjs: %v; last line %q\n%s", waitErr, last, stderr.String())
	}
	t.Logf("browser journeys: %d checks passed; screenshots in %s", len(res.Checks), shots)
	for _, s := range res.Skipped {
		t.Logf("skipped: %s", s)
	}
	b, _ := json.Marshal(res.Bench)
	t.Logf("benchmarks (not asserted): %s", b)
	if !res.OK || waitErr != nil {
		t.Fatalf("journeys failed (%v): %s", waitErr, strings.Join(res.Problems, "\n"))
	}
	if res.Offsite != 0 {
		t.Errorf("%d requests left 127.0.0.1", res.Offsite)
	}
	if !stopped {
		t.Error("the outage journey did not run")
	}
}
