package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

type cliReport struct {
	File      string         `json:"file"`
	OK        bool           `json:"ok"`
	Read      int            `json:"read"`
	Inserted  int            `json:"inserted"`
	Unchanged int            `json:"unchanged"`
	Rejected  int            `json:"rejected"`
	Precision map[string]int `json:"per_precision"`
	Unknown   map[string]int `json:"unknown_types"`
	Errors    []struct {
		Line   int    `json:"line"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func cli(t *testing.T, url string, args ...string) (cliReport, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"DATABASE_URL": url, "LAGESBILD_LOG_LEVEL": "error"}
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	var rep cliReport
	if strings.Contains(strings.Join(args, " "), "--json") {
		if jerr := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &rep); jerr != nil {
			t.Fatalf("--json output is not one JSON object: %v\n%s", jerr, out.String())
		}
	}
	return rep, out.String() + errOut.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodCSV = "source_id,occurred_at,category,agency,lat,lon\r\n" +
	"a1,2025-05-01 22:10,skottlossning,pm,59.3945,17.9050\r\n" +
	"a2,2025-05-02T10:00:00+02:00,narkotikabrott,tv,59.3940,17.9060\r\n" +
	"a3,2025-05-03 12:00,något helt nytt,pm,59.3293,18.0686\r\n"

func TestImportIncidentsCLI(t *testing.T) {
	_, url := pgtest.New(t)
	good := writeFile(t, "good.csv", goodCSV)
	rep, out, err := cli(t, url, "import", "incidents", "--format", "csv", "--source", "testsystem", "--json", good)
	if err != nil || !rep.OK || rep.Inserted != 3 || rep.Precision["exact"] != 3 || rep.Unknown["något helt nytt"] != 1 {
		t.Fatalf("first import: %+v %v\n%s", rep, err, out)
	}
	rep, out, err = cli(t, url, "import", "incidents", "--format", "csv", "--source", "testsystem", "--json", good)
	if err != nil || rep.Inserted != 0 || rep.Unchanged != 3 {
		t.Fatalf("same file again: %+v %v\n%s", rep, err, out)
	}

	// One bad line: non-zero exit, the line named, nothing stored.
	bad := writeFile(t, "bad.csv", "source_id,occurred_at,category,agency,lat,lon\n"+
		"b1,2025-05-01 22:10,skottlossning,pm,59.3945,17.9050\n"+
		"b2,2025-05-01 22:10,skottlossning,pm,norr,17.9050\n")
	_, out, err = cli(t, url, "import", "incidents", "--format", "csv", "--source", "testsystem", bad)
	if err == nil || exitCode(err) == 0 {
		t.Fatalf("bad file accepted:\n%s", out)
	}
	if !strings.Contains(out, "bad.csv:3: lat:") {
		t.Errorf("the report does not name line 3 and field lat:\n%s", out)
	}
	rep, _, _ = cli(t, url, "import", "incidents", "--format", "csv", "--source", "testsystem", "--json", good)
	if rep.Unchanged != 3 || rep.Inserted != 0 {
		t.Errorf("counts changed after the rejected file: %+v", rep)
	}

	// --skip-invalid keeps the good line and writes the bad one with its reason.
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	rep, out, err = cli(t, url, "import", "incidents", "--format", "csv", "--source", "testsystem", "--skip-invalid", "--rejects", rejects, "--json", bad)
	if err != nil || rep.Inserted != 1 || rep.Rejected != 1 {
		t.Fatalf("skip-invalid: %+v %v\n%s", rep, err, out)
	}
	if b, _ := os.ReadFile(rejects); !strings.Contains(string(b), "bad.csv,3,lat,") {
		t.Errorf("rejects file: %s", b)
	}
}

func TestImportUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"import"}, {"import", "incidents", "x.csv"}, {"import", "nonsense", "x"}, {"import", "incidents", "--format", "csv"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, &out)
		if !errors.Is(err, errUsage) || out.Len() == 0 {
			t.Errorf("%v: err %v, message %q", args, err, out.String())
		}
	}
}
