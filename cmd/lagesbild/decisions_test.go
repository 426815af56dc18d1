package main

import (
	"context"
	"strings"
	"testing"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/postgis/pgtest"
)

// TestDecisionCLI manages a samverkansbeslut on the command line, imports observations under
// it, and reads the audit rows and the (empty) disclosure log.
func TestDecisionCLI(t *testing.T) {
	db, url := pgtest.New(t)
	_, out, err := cli(t, url, "decision", "add", "SB-CLI-1", "--name", "Järva", "--purpose", "Gemensam lägesbild",
		"--agencies", "pm,skv,fk", "--scope", "Stockholm", "--from", "2026-01-01", "--until", "2026-12-31",
		"--decided-by", "Regionala samverkansrådet Stockholm", "--decided-at", "2025-12-15")
	if err != nil || !strings.Contains(out, "samverkansbeslut SB-CLI-1 (revision 1)") || !strings.Contains(out, "region:5300") {
		t.Fatalf("decision add: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "decision", "add", "SB-CLI-2", "--name", "x", "--purpose", "y", "--agencies", "skv",
		"--scope", "5300", "--from", "2026-01-01", "--until", "2026-12-31", "--decided-by", "z", "--decided-at", "2025-12-15"); err == nil ||
		!strings.Contains(out+err.Error(), "at least two agencies") {
		t.Errorf("a decision of one agency accepted: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "decision", "update", "SB-CLI-1", "--until", "2027-06-30"); err != nil || !strings.Contains(out, "revision 2") {
		t.Fatalf("decision update: %v\n%s", err, out)
	}
	obs := writeFile(t, "obs.csv", "source_id,agency,category,time,classification,decision,lat,lon\n"+
		"s1,skv,folkbokforingskontroll,2025-06-01 10:00,sekretess,SB-CLI-1,59.3945,17.9050\n")
	if _, out, err = cli(t, url, "import", "observations", "--source", "skv-system", obs); err != nil || !strings.Contains(out, "1 inserted") {
		t.Fatalf("import observations: %v\n%s", err, out)
	}
	bad := writeFile(t, "bad.csv", "source_id,agency,category,time,classification,decision,lat,lon\n"+
		"s2,mv,arbetsplatsinspektion,2025-06-01 10:00,sekretess,SB-CLI-1,59.3945,17.9050\n")
	if _, out, err = cli(t, url, "import", "observations", "--source", "mv-system", bad); err == nil ||
		!strings.Contains(out, "bad.csv:2: decision: mv does not take part in samverkansbeslut SB-CLI-1") {
		t.Errorf("an observation under a decision without its owner: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "decision", "revoke", "SB-CLI-1"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("decision revoke: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "decision", "show", "SB-CLI-1"); err != nil || strings.Count(out, "revision ") != 4 {
		t.Errorf("decision show lists 3 revisions: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "audit", "--resource", "decision/SB-CLI-1"); err != nil || strings.Count(out, "decision/SB-CLI-1") < 6 {
		t.Errorf("every change and attempt audited: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "disclosures", "--agency", "skv"); err != nil || !strings.Contains(out, "OWNER") || strings.Contains(out, "SB-CLI-1") {
		t.Errorf("disclosures: %v\n%s", err, out)
	}
	// A read of skv's data by an fk analyst, as the API records it with its audit row.
	if err := db.AppendAudit(context.Background(), auth.AuditEntry{Subject: "token:7", Role: "myndighet", Scope: "5300", Action: "read",
		Resource: "/api/v1/observations", Result: "ok", Status: 200, Client: "test", Params: map[string]any{"agency": "fk",
			"disclosures": []map[string]any{{"owner": "skv", "decision": "SB-CLI-1", "records": 3}}}}); err != nil {
		t.Fatal(err)
	}
	if _, out, err = cli(t, url, "disclosures", "--agency", "skv"); err != nil || !strings.Contains(out, "SB-CLI-1") ||
		!strings.Contains(out, "token:7") || !strings.Contains(out, "fk") {
		t.Errorf("disclosures of skv: %v\n%s", err, out)
	}
	if _, out, err = cli(t, url, "disclosures", "--agency", "skv", "--json"); err != nil || !strings.Contains(out, `"owner_agency":"skv"`) ||
		!strings.Contains(out, `"records":3`) || !strings.Contains(out, `"reader_agency":"fk"`) {
		t.Errorf("disclosures --json: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--agency", "fk"}, {"--since", "2099-01-01"}} {
		if _, out, err = cli(t, url, append([]string{"disclosures"}, args...)...); err != nil || strings.Contains(out, "SB-CLI-1") {
			t.Errorf("disclosures %v lists skv's: %v\n%s", args, err, out)
		}
	}
	if _, _, err = cli(t, url, "disclosures", "--since", "igår"); err == nil {
		t.Errorf("disclosures --since igår accepted")
	}
}
