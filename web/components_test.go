package web

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestComponentsInChromium runs the component test of the analysis modules (js/panel.js,
// js/table.js, js/overview.js, js/chart.js, js/format.js) in headless Chromium: see
// test/components.mjs. It needs no database: the components get a fake api that answers from
// test/fixtures/, captured from the demo server by test/capture-fixtures.mjs.
func TestComponentsInChromium(t *testing.T) {
	script, _ := filepath.Abs("test/components.mjs")
	_, errChromium := os.Stat("/usr/bin/chromium")
	_, errModules := os.Stat(filepath.Join("node_modules", "playwright-core"))
	_, errAxe := os.Stat(filepath.Join("node_modules", "axe-core"))
	_, errNode := exec.LookPath("node")
	if errChromium != nil || errModules != nil || errAxe != nil || errNode != nil {
		msg := "the component test needs /usr/bin/chromium, node and web/node_modules (make test installs them)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", script, t.TempDir()).CombinedOutput()
	last := strings.TrimSpace(string(out))
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	var res struct {
		OK bool `json:"ok"`
	}
	if err != nil || json.Unmarshal([]byte(last), &res) != nil || !res.OK {
		t.Fatalf("component test: %v\n%s", err, out)
	}
}
