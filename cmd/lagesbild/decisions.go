package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// cmdDecision manages the collaboration decisions; every change is audited.
func cmdDecision(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lagesbild decision add|update ID --name N --purpose P --agencies pm,skv,fk --scope 5300 [--areas 2025-SO9] --from 2026-01-01 --until 2026-12-31 --decided-by B --decided-at D [--legal-basis L] | decision list | decision show ID | decision revoke ID")
		return errUsage
	}
	sub, args := args[0], args[1:]
	id := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	fs := flags("decision "+sub, stderr)
	name := fs.String("name", "", "the decision's name")
	purpose := fs.String("purpose", "", "what the collaboration is for")
	legal := fs.String("legal-basis", "", "the legal basis (default: lag (2016:774))")
	agencies := fs.String("agencies", "", "the participating agencies, comma-separated codes (pm, skv, fk, mv, kfm, ...)")
	scope := fs.String("scope", "", "police regions and lokalpolisområden covered (codes or names, comma-separated)")
	areas := fs.String("areas", "", "areas covered, comma-separated ids (2025-SO9)")
	from := fs.String("from", "", "valid from (YYYY-MM-DD, Swedish time, or RFC 3339)")
	until := fs.String("until", "", "valid through (YYYY-MM-DD inclusive, or an RFC 3339 end)")
	by := fs.String("decided-by", "", "who decided (e.g. Regionala samverkansrådet Stockholm)")
	at := fs.String("decided-at", "", "when it was decided (YYYY-MM-DD)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := &samverkan.Service{DecisionStore: db, Store: db, Units: db, Logger: logger}
	in := samverkan.DecisionInput{ID: id, Name: *name, Purpose: *purpose, LegalBasis: *legal, Agencies: splitList(*agencies),
		Scope: *scope, AreaIDs: splitList(*areas), ValidFrom: *from, ValidUntil: *until, DecidedBy: *by, DecidedAt: *at}
	show := func(d lagesbild.Decision) error {
		if *asJSON {
			return writeJSONLine(stdout, d)
		}
		printDecision(stdout, d)
		return nil
	}
	switch sub {
	case "add", "update":
		if id == "" {
			return fmt.Errorf("decision %s: give the decision id: %w", sub, errUsage)
		}
		if sub == "update" {
			old, err := db.Decision(ctx, id)
			if err != nil {
				return fmt.Errorf("decision update: %w", err)
			}
			in = mergeDecision(old, in)
		}
		// The audit row is written before the change, so no change exists without one.
		if err := auditCLI(ctx, db, "admin", "decision/"+id, map[string]any{"op": sub + "-attempt"}); err != nil {
			return err
		}
		var d lagesbild.Decision
		if sub == "add" {
			d, err = svc.CreateDecision(ctx, in, cliIdentity())
		} else {
			d, err = svc.UpdateDecision(ctx, in, cliIdentity())
		}
		if err != nil {
			return fmt.Errorf("decision %s: %w", sub, err)
		}
		if err := auditCLI(ctx, db, "admin", "decision/"+d.ID, map[string]any{"op": sub, "revision": d.Revision,
			"agencies": d.Agencies, "regions": d.Regions, "lpos": d.LPOs, "area_ids": d.AreaIDs,
			"valid_from": d.ValidFrom, "valid_until": d.ValidUntil}); err != nil {
			return err
		}
		return show(d)
	case "revoke":
		if id == "" {
			return fmt.Errorf("decision revoke: give the decision id: %w", errUsage)
		}
		if err := auditCLI(ctx, db, "admin", "decision/"+id, map[string]any{"op": "revoke-attempt"}); err != nil {
			return err
		}
		d, err := svc.RevokeDecision(ctx, id, cliIdentity())
		if err != nil {
			return fmt.Errorf("decision revoke: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", "decision/"+d.ID, map[string]any{"op": "revoke", "revision": d.Revision}); err != nil {
			return err
		}
		return show(d)
	case "show":
		d, err := db.Decision(ctx, id)
		if err != nil {
			return fmt.Errorf("decision show: %w", err)
		}
		if err := show(d); err != nil {
			return err
		}
		hist, err := db.DecisionHistory(ctx, id)
		if err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintln(stdout, "history:")
			for _, h := range hist {
				fmt.Fprintf(stdout, "  revision %d  %s  %s by %s\n", h.Revision, h.At.Format(time.RFC3339), h.Operation, h.ChangedBy)
			}
		}
		return nil
	case "list":
		ds, err := db.Decisions(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		return printRows(stdout, *asJSON, ds, "ID\tNAME\tAGENCIES\tSCOPE\tVALID FROM\tVALID UNTIL\tSTATUS",
			func(d lagesbild.Decision) string {
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", d.ID, d.Name, strings.Join(d.Agencies, ","), decisionScope(d),
					d.ValidFrom.Format(time.RFC3339), d.ValidUntil.Format(time.RFC3339), decisionStatus(d, now))
			})
	}
	return fmt.Errorf("decision: unknown subcommand %q: %w", sub, errUsage)
}

// mergeDecision fills the fields an update leaves out from the stored decision.
func mergeDecision(old lagesbild.Decision, in samverkan.DecisionInput) samverkan.DecisionInput {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	in.Name, in.Purpose, in.LegalBasis = or(in.Name, old.Name), or(in.Purpose, old.Purpose), or(in.LegalBasis, old.LegalBasis)
	if len(in.Agencies) == 0 {
		in.Agencies = old.Agencies
	}
	if in.Scope == "" && len(in.AreaIDs) == 0 {
		in.Scope = strings.Join(append(append([]string{}, old.Regions...), old.LPOs...), ",")
		in.AreaIDs = old.AreaIDs
	}
	in.ValidFrom = or(in.ValidFrom, old.ValidFrom.Format(time.RFC3339))
	in.ValidUntil = or(in.ValidUntil, old.ValidUntil.Format(time.RFC3339))
	in.DecidedBy = or(in.DecidedBy, old.DecidedBy)
	in.DecidedAt = or(in.DecidedAt, old.DecidedAt.Format(time.DateOnly))
	return in
}

func decisionScope(d lagesbild.Decision) string {
	var parts []string
	if len(d.Regions) > 0 {
		parts = append(parts, "region:"+strings.Join(d.Regions, ","))
	}
	if len(d.LPOs) > 0 {
		parts = append(parts, "lpo:"+strings.Join(d.LPOs, ","))
	}
	if len(d.AreaIDs) > 0 {
		parts = append(parts, "area:"+strings.Join(d.AreaIDs, ","))
	}
	return strings.Join(parts, ";")
}

func decisionStatus(d lagesbild.Decision, now time.Time) string {
	switch {
	case d.RevokedAt != nil:
		return "revoked " + d.RevokedAt.Format(time.RFC3339)
	case now.Before(d.ValidFrom):
		return "not yet valid"
	case !now.Before(d.ValidUntil):
		return "expired"
	}
	return "valid"
}

func printDecision(w io.Writer, d lagesbild.Decision) {
	fmt.Fprintf(w, "samverkansbeslut %s (revision %d): %s\n  purpose: %s\n  legal basis: %s\n  agencies: %s\n  scope: %s\n  valid: %s – %s (%s)\n  decided by %s on %s\n",
		d.ID, d.Revision, d.Name, d.Purpose, d.LegalBasis, strings.Join(d.Agencies, ", "), decisionScope(d),
		d.ValidFrom.Format(time.RFC3339), d.ValidUntil.Format(time.RFC3339), decisionStatus(d, time.Now()),
		d.DecidedBy, d.DecidedAt.Format(time.DateOnly))
}

// cmdDisclosures lists the disclosure log.
func cmdDisclosures(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("disclosures", stdout)
	agency := fs.String("agency", "", "the agency whose data was disclosed (default: every agency)")
	since := fs.String("since", "", "from this time (RFC 3339) or date")
	limit := fs.Int("limit", 1000, "at most this many rows, newest first")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := parse(fs, args); err != nil {
		return err
	}
	q := lagesbild.DisclosureQuery{Owner: *agency, Limit: *limit}
	var err error
	if q.Since, err = sinceFlag("disclosures", *since); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	rows, err := db.AllDisclosures(ctx, q)
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, db, "read", "disclosures", map[string]any{"agency": *agency, "rows": len(rows)}); err != nil {
		return err
	}
	return printRows(stdout, *asJSON, rows, "AT\tOWNER\tREAD BY\tREADER AGENCY\tDECISION\tRECORDS\tRESOURCE",
		func(r lagesbild.Disclosure) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d\t%s", r.At.Format(time.RFC3339), r.OwnerAgency, r.Subject, r.ReaderAgency,
				r.DecisionID, r.Records, r.Resource)
		})
}

// cmdImportObservations imports agencies' observations, one transaction per file.
func cmdImportObservations(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flags("import observations", stderr)
	format := fs.String("format", "", "csv or geojson (default: from the content)")
	source := fs.String("source", "", "the agency system the records come from; (source, source_id) identifies a record")
	asJSON := fs.Bool("json", false, "print the report as one JSON object per file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	files := fs.Args()
	if len(files) == 0 || *source == "" {
		fmt.Fprintln(stderr, "lagesbild import observations: give --source NAME and at least one file (or - for standard input)")
		return errUsage
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := &samverkan.Service{DecisionStore: db, Store: db, Units: db, Logger: logger}
	for _, file := range files {
		var r io.Reader = os.Stdin
		name := "-"
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			r, name = f, filepath.Base(file)
		}
		// Every rejected record is named as it is found (not only the report's first ones), in
		// bounded memory; the counts follow.
		o := samverkan.ImportOptions{Source: *source, Format: *format}
		if !*asJSON {
			o.Spill = func(e lagesbild.ImportError) error {
				_, err := fmt.Fprintf(stdout, "  %s:%d: %s: %s\n", e.File, e.Line, e.Field, e.Reason)
				return err
			}
		}
		rep, err := svc.Import(ctx, r, name, o)
		if *asJSON {
			if werr := writeJSONLine(stdout, rep); werr != nil {
				return werr
			}
		} else {
			fmt.Fprintf(stdout, "%s: %d read, %d inserted, %d updated, %d unchanged, %d rejected\n", name, rep.Read,
				rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected)
		}
		if err != nil {
			if errors.Is(err, lagesbild.ErrInvalid) && rep.Rejected > 0 {
				return fmt.Errorf("import observations %s: nothing stored", name)
			}
			return err
		}
		if err := auditCLI(ctx, db, "write", "import/observations", map[string]any{"file": name, "source": *source,
			"inserted": rep.Inserted, "updated": rep.Updated}); err != nil {
			return err
		}
	}
	return nil
}
