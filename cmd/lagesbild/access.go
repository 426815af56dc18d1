package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// cliIdentity is who the audit log names for command-line changes: the operating system user.
func cliIdentity() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// auditCLI records a change made on the command line; it fails the command when it cannot.
func auditCLI(ctx context.Context, store auth.Store, action, resource string, params map[string]any) error {
	return store.AppendAudit(ctx, auth.AuditEntry{Subject: cliIdentity(), Role: "admin", Scope: "none", Action: action,
		Resource: resource, Params: params, Result: "ok", Status: 0, Client: "cli"})
}

// readPassword reads a password from LAGESBILD_PASSWORD, a terminal (without echo) or the first
// line of stdin.
func readPassword(getenv func(string) string, stdin io.Reader, stderr io.Writer) (string, error) {
	if p := getenv("LAGESBILD_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	var line strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := stdin.Read(buf)
		if n == 1 && buf[0] != '\n' {
			line.WriteByte(buf[0])
		}
		if err != nil || (n == 1 && buf[0] == '\n') || line.Len() > 1024 {
			break
		}
	}
	return strings.TrimRight(line.String(), "\r"), nil
}

func cmdUser(ctx context.Context, cfg config, logger *slog.Logger, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lagesbild user add NAME --role R [--scope S] [--name 'Full Name'] | user list | user disable NAME | user password NAME")
		return errUsage
	}
	sub, args := args[0], args[1:]
	name := ""
	if (sub == "add" || sub == "disable" || sub == "password") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	fs := flags("user "+sub, stderr)
	acct := addAccountFlags(fs, true)
	role, scope, agency := acct.role, acct.scope, acct.agency
	display := fs.String("name", "", "the person's full name")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := auth.NewService(db, false)
	switch sub {
	case "add":
		if name == "" {
			return fmt.Errorf("user add: give the user name: %w", errUsage)
		}
		pw, err := readPassword(getenv, stdin, stderr)
		if err != nil {
			return err
		}
		u, err := svc.CreateUser(ctx, auth.NewUser{Username: name, DisplayName: *display, Password: pw, Role: auth.Role(*role), Scope: *scope, Agency: *agency})
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", "user/"+u.Username, map[string]any{"op": "add", "role": string(u.Role), "scope": u.Scope.String(), "agency": u.Agency}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s added (role %s, agency %s, scope %s)\n", u.Username, u.Role, u.Agency, u.Scope)
	case "list":
		users, err := db.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tROLE\tAGENCY\tSCOPE\tDEMO\tCREATED\tDISABLED")
		for _, u := range users {
			dis := ""
			if u.DisabledAt != nil {
				dis = u.DisabledAt.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\n", u.Username, u.Role, u.Agency, u.Scope, u.Demo, u.CreatedAt.Format(time.DateOnly), dis)
		}
		return tw.Flush()
	case "disable":
		if name == "" {
			return fmt.Errorf("user disable: give the user name: %w", errUsage)
		}
		if err := db.DisableUser(ctx, name); err != nil {
			return fmt.Errorf("user disable: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", "user/"+name, map[string]any{"op": "disable"}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s disabled; its sessions are ended\n", name)
	case "password":
		pw, err := readPassword(getenv, stdin, stderr)
		if err != nil {
			return err
		}
		if err := auth.ValidatePassword(pw); err != nil {
			return fmt.Errorf("user password: %w", err)
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		if err := db.SetPassword(ctx, name, hash); err != nil {
			return fmt.Errorf("user password: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", "user/"+name, map[string]any{"op": "password"}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; its sessions are ended\n", name)
	default:
		return fmt.Errorf("user: unknown subcommand %q: %w", sub, errUsage)
	}
	return nil
}

func cmdToken(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lagesbild token create --role R --scope S [--layers L] [--max-res N] [--expires D] [--name N] | token list | token revoke ID")
		return errUsage
	}
	sub, args := args[0], args[1:]
	id := ""
	if sub == "revoke" && len(args) > 0 {
		id, args = args[0], args[1:]
	}
	fs := flags("token "+sub, stderr)
	acct := addAccountFlags(fs, true)
	role, scope, agency := acct.role, acct.scope, acct.agency
	layers := fs.String("layers", "", "gis: comma-separated layers (default: all but handelser)")
	maxRes := fs.Int("max-res", 0, "gis: finest H3 resolution (default 7)")
	expires := fs.String("expires", "90d", "lifetime (90d, 12h, 1y) or an end date")
	name := fs.String("name", "", "what the token is for")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	svc := auth.NewService(db, false)
	switch sub {
	case "create":
		var ls []string
		if *layers != "" {
			for _, l := range strings.Split(*layers, ",") {
				ls = append(ls, strings.TrimSpace(l))
			}
		}
		plain, t, err := svc.CreateToken(ctx, auth.TokenRequest{Name: *name, Role: auth.Role(*role), Scope: *scope,
			Layers: ls, MaxRes: *maxRes, Expires: *expires, CreatedBy: cliIdentity(), Agency: *agency})
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", fmt.Sprintf("token/%d", t.ID), map[string]any{"op": "create", "role": string(t.Role),
			"scope": t.Scope.String(), "agency": t.Agency, "layers": t.Layers, "max_res": t.MaxRes, "expires_at": t.ExpiresAt}); err != nil {
			return err
		}
		// Only the token goes to stdout, so scripts can capture it; the details go to stderr.
		fmt.Fprintf(stderr, "token %d: role %s, scope %s, layers %s, max res %d, expires %s; it is shown only now\n",
			t.ID, t.Role, t.Scope, strings.Join(t.Layers, ","), t.MaxRes, t.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, plain)
	case "list":
		ts, err := db.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tSCOPE\tLAYERS\tEXPIRES\tREVOKED\tLAST USED")
		for _, t := range ts {
			rev, used := "", ""
			if t.RevokedAt != nil {
				rev = t.RevokedAt.Format(time.RFC3339)
			}
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.Scope, strings.Join(t.Layers, ","),
				t.ExpiresAt.Format(time.RFC3339), rev, used)
		}
		return tw.Flush()
	case "revoke":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("token revoke: %q is not a token id (see lagesbild token list): %w", id, errUsage)
		}
		if err := db.RevokeToken(ctx, n); err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		if err := auditCLI(ctx, db, "admin", fmt.Sprintf("token/%d", n), map[string]any{"op": "revoke"}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", n)
	default:
		return fmt.Errorf("token: unknown subcommand %q: %w", sub, errUsage)
	}
	return nil
}

func cmdAudit(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flags("audit", stdout)
	since := fs.String("since", "", "from this time (RFC 3339) or date")
	subject := fs.String("user", "", "only this user or token (token:ID)")
	action := fs.String("action", "", "read, write, login or admin")
	resource := fs.String("resource", "", "resources starting with this path")
	limit := fs.Int("limit", 100, "at most this many rows, newest first")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	if err := parse(fs, args); err != nil {
		return err
	}
	q := auth.AuditQuery{Subject: *subject, Action: *action, Resource: *resource, Limit: *limit}
	var err error
	if q.Since, err = sinceFlag("audit", *since); err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer db.close(ctx, false, logger)
	// The log is read as an admin would: row-level security gives its rows to admins only.
	actx := auth.WithIdentity(ctx, auth.Identity{Subject: cliIdentity(), Role: auth.RoleAdmin})
	rows, err := db.Audit(actx, q)
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, db, "read", "audit", map[string]any{"user": *subject, "action": *action, "resource": *resource}); err != nil {
		return err
	}
	return printRows(stdout, *asJSON, rows, "TIME\tUSER\tROLE\tSCOPE\tACTION\tRESOURCE\tRESULT\tSTATUS\tCLIENT\tREQUEST",
		func(e auth.AuditEntry) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s", e.At.Format(time.RFC3339), e.Subject, e.Role, e.Scope,
				e.Action, e.Resource, e.Result, e.Status, e.Client, e.RequestID)
		})
}

// sinceFlag reads a --since value of command cmd: an RFC 3339 time or a date (local midnight);
// empty: nil.
func sinceFlag(cmd, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.ParseInLocation(time.DateOnly, v, time.Local); err != nil {
			return nil, fmt.Errorf("%s: --since %q is not an RFC 3339 time or a date: %w", cmd, v, errUsage)
		}
	}
	return &t, nil
}

// printRows writes rows as one JSON object per line, or as a table: the tab-separated header
// and one line per row.
func printRows[T any](w io.Writer, asJSON bool, rows []T, header string, line func(T) string) error {
	if asJSON {
		for _, r := range rows {
			if err := writeJSONLine(w, r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, line(r))
	}
	return tw.Flush()
}

// demoAccount is one account `lagesbild demo` and `serve --demo` create.
type demoAccount struct {
	name   string
	role   auth.Role
	agency string // myndighet: the agency; police roles are pm
	scope  string
	label  string
}

// demoUsers are the police's demo accounts, one per role; demoAgencyUsers (demo_samverkan.go)
// are the other agencies'.
var demoUsers = []demoAccount{
	{"demo-nationell", auth.RoleNationell, "", "", "nationell analytiker (hela landet)"},
	{"demo-regional", auth.RoleRegional, "", "5300", "regional analytiker, polisregion Stockholm"},
	{"demo-lokal", auth.RoleLokal, "", "531350", "lokalpolisområdeschef, LPO Järva (531350)"},
	{"demo-gis", auth.RoleGIS, "", "5400", "GIS-användare, polisregion Öst, grova celler"},
	{"demo-admin", auth.RoleAdmin, "", "", "administratör (användare, tokens, import, logg)"},
}

// ensureDemoUsers creates the demo accounts, or gives them new random passwords, and prints
// the passwords: they are flagged demo, and serve accepts them only in demo mode.
func ensureDemoUsers(ctx context.Context, db *database, stdout io.Writer) error {
	svc := auth.NewService(db, true)
	fmt.Fprintln(stdout, "demo: log in with these DEMO accounts (synthetic data only; refused outside demo mode):")
	for _, d := range append(append([]demoAccount{}, demoUsers...), demoAgencyUsers...) {
		pw, _, err := auth.NewToken()
		if err != nil {
			return err
		}
		pw = "demo-" + pw[4:20]
		_, err = svc.CreateUser(ctx, auth.NewUser{Username: d.name, DisplayName: d.label, Password: pw, Role: d.role,
			Scope: d.scope, Agency: d.agency, Demo: true})
		if errors.Is(err, lagesbild.ErrConflict) {
			var hash string
			if hash, err = auth.HashPassword(pw); err == nil {
				err = db.SetPassword(ctx, d.name, hash)
			}
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", d.name, err)
		}
		fmt.Fprintf(stdout, "  %-15s  %-28s  %s\n", d.name, pw, d.label)
	}
	return auditCLI(ctx, db, "admin", "user/demo-*", map[string]any{"op": "demo users"})
}

// accountFlags give an account, a token or a command-line caller its role, scope and (for
// myndighet) agency.
type accountFlags struct {
	role, scope, agency *string
}

func addAccountFlags(fs *flag.FlagSet, withAgency bool) accountFlags {
	f := accountFlags{
		role:  fs.String("role", "", "nationell, regional, lokal, gis, admin or myndighet"),
		scope: fs.String("scope", "", "all, REGIONKOD, OMRADESKOD or their names (comma-separated)"),
	}
	if withAgency {
		f.agency = fs.String("agency", "", "myndighet: the agency (skv, fk, mv, kfm, ...); police roles are pm")
	} else {
		f.agency = new(string)
	}
	return f
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// stdin is where `user add` reads a password when LAGESBILD_PASSWORD is unset.
var stdin io.Reader = os.Stdin
