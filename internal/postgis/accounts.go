package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Accounts, tokens and sessions are kept by the owner role: the reader role that serves data
// has no grant on them. The audit log is written and read through the reader role, which may
// only append to it (and read it when the caller is an admin).

var _ auth.Store = (*DB)(nil)

// PoliceUnits returns the police regions and lokalpolisområden by code.
func (db *DB) PoliceUnits(ctx context.Context) (regions, lpos map[string]string, err error) {
	regions, lpos = map[string]string{}, map[string]string{}
	rows, err := db.pool.Query(ctx, `SELECT 'r', code, name FROM police_region UNION ALL SELECT 'l', code, name FROM lokalpolisomrade`)
	if err != nil {
		return nil, nil, fmt.Errorf("postgis: police units: %w", translate(err))
	}
	var kind, code, name string
	_, err = pgx.ForEachRow(rows, []any{&kind, &code, &name}, func() error {
		if kind == "r" {
			regions[code] = name
		} else {
			lpos[code] = name
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgis: police units: %w", translate(err))
	}
	return regions, lpos, nil
}

const userColumns = `id, username, display_name, password_hash, role, scope, demo, created_at, disabled_at, agency`

func scanUser(row pgx.CollectableRow) (auth.User, error) {
	var u auth.User
	var role, scope string
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &role, &scope, &u.Demo, &u.CreatedAt, &u.DisabledAt, &u.Agency); err != nil {
		return u, err
	}
	u.Role = auth.Role(role)
	sc, err := auth.ParseStoredScope(scope)
	u.Scope = sc
	return u, err
}

func (db *DB) oneUser(ctx context.Context, where string, arg any) (auth.User, error) {
	var u auth.User
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM app_user WHERE `+where, arg)
		if err != nil {
			return translate(err)
		}
		u, err = pgx.CollectExactlyOneRow(rows, scanUser)
		return translate(err)
	})
	return u, err
}

// CreateUser stores a new account; ErrConflict when the name is taken.
func (db *DB) CreateUser(ctx context.Context, u auth.User) (auth.User, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `INSERT INTO app_user (username, display_name, password_hash, role, scope, demo, agency)
		VALUES ($1, $2, $3, $4, $5, $6, coalesce(nullif($7, ''), 'pm')) RETURNING id`,
		u.Username, u.DisplayName, u.PasswordHash, string(u.Role), u.Scope.String(), u.Demo, u.Agency).Scan(&id)
	if err != nil {
		return auth.User{}, fmt.Errorf("postgis: user %q: %w", u.Username, translate(err))
	}
	return db.UserByID(ctx, id)
}

// UserByName returns the account with this user name.
func (db *DB) UserByName(ctx context.Context, username string) (auth.User, error) {
	u, err := db.oneUser(ctx, `username = $1`, username)
	if err != nil {
		return u, fmt.Errorf("postgis: user %q: %w", username, err)
	}
	return u, nil
}

// UserByID returns the account with this id.
func (db *DB) UserByID(ctx context.Context, id int64) (auth.User, error) {
	u, err := db.oneUser(ctx, `id = $1`, id)
	if err != nil {
		return u, fmt.Errorf("postgis: user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every account by name.
func (db *DB) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM app_user ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("postgis: users: %w", translate(err))
	}
	users, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("postgis: users: %w", translate(err))
	}
	return users, nil
}

// DisableUser disables an account and ends its sessions.
func (db *DB) DisableUser(ctx context.Context, username string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `UPDATE app_user SET disabled_at = coalesce(disabled_at, now()) WHERE username = $1 RETURNING id`, username).Scan(&id)
		if err != nil {
			return fmt.Errorf("postgis: disable user %q: %w", username, translate(err))
		}
		_, err = tx.Exec(ctx, `DELETE FROM user_session WHERE user_id = $1`, id)
		return translate(err)
	})
}

// SetPassword replaces the password hash of an account and ends its sessions.
func (db *DB) SetPassword(ctx context.Context, username, hash string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE app_user SET password_hash = $2 WHERE username = $1 RETURNING id`, username, hash).Scan(&id); err != nil {
			return fmt.Errorf("postgis: password of %q: %w", username, translate(err))
		}
		_, err := tx.Exec(ctx, `DELETE FROM user_session WHERE user_id = $1`, id)
		return translate(err)
	})
}

const tokenColumns = `id, name, role, scope, layers, max_res, created_by, created_at, expires_at, revoked_at, last_used_at, agency`

func scanToken(row pgx.CollectableRow) (auth.Token, error) {
	var t auth.Token
	var role, scope string
	var maxRes int16
	if err := row.Scan(&t.ID, &t.Name, &role, &scope, &t.Layers, &maxRes, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt, &t.Agency); err != nil {
		return t, err
	}
	t.Role, t.MaxRes = auth.Role(role), int(maxRes)
	sc, err := auth.ParseStoredScope(scope)
	t.Scope = sc
	return t, err
}

// CreateToken stores a token's hash and details.
func (db *DB) CreateToken(ctx context.Context, t auth.Token, hash []byte) (auth.Token, error) {
	if t.Layers == nil {
		t.Layers = []string{}
	}
	rows, err := db.pool.Query(ctx, `INSERT INTO api_token (token_hash, name, role, scope, layers, max_res, created_by, expires_at, agency)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(nullif($9, ''), 'pm')) RETURNING `+tokenColumns,
		hash, t.Name, string(t.Role), t.Scope.String(), t.Layers, t.MaxRes, t.CreatedBy, t.ExpiresAt, t.Agency)
	if err != nil {
		return auth.Token{}, fmt.Errorf("postgis: create token: %w", translate(err))
	}
	out, err := pgx.CollectExactlyOneRow(rows, scanToken)
	if err != nil {
		return auth.Token{}, fmt.Errorf("postgis: create token: %w", translate(err))
	}
	return out, nil
}

// TokenByHash finds a token by its hash and records the time of its use, to the minute: a
// write on every request would cost more than the request (a GIS client fetches hundreds of
// tiles a minute).
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (auth.Token, error) {
	var t auth.Token
	err := db.retryRead(ctx, func() error {
		rows, err := db.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_token WHERE token_hash = $1`, hash)
		if err != nil {
			return translate(err)
		}
		t, err = pgx.CollectExactlyOneRow(rows, scanToken)
		return translate(err)
	})
	if err != nil {
		return auth.Token{}, fmt.Errorf("postgis: token: %w", err)
	}
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		if _, err := db.pool.Exec(ctx, `UPDATE api_token SET last_used_at = now() WHERE id = $1`, t.ID); err != nil {
			return auth.Token{}, fmt.Errorf("postgis: token: %w", translate(err))
		}
	}
	return t, nil
}

// Tokens lists every token, newest first.
func (db *DB) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_token ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", translate(err))
	}
	return out, nil
}

// RevokeToken revokes a token at once; ErrNotFound for an unknown id.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgis: revoke token %d: %w", id, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: token %d: %w", id, lagesbild.ErrNotFound)
	}
	return nil
}

// CreateSession stores a session by the hash of its cookie value, dropping expired ones.
func (db *DB) CreateSession(ctx context.Context, idHash []byte, s auth.Session) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM user_session WHERE expires_at < now()`); err != nil {
			return translate(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_session (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
			idHash, s.UserID, s.CSRFToken, s.ExpiresAt)
		if err != nil {
			return fmt.Errorf("postgis: session: %w", translate(err))
		}
		return nil
	})
}

// SessionByHash returns a live session; ErrNotFound when unknown or expired.
func (db *DB) SessionByHash(ctx context.Context, idHash []byte) (auth.Session, error) {
	var s auth.Session
	err := db.retryRead(ctx, func() error {
		return translate(db.pool.QueryRow(ctx, `SELECT user_id, csrf_token, expires_at FROM user_session WHERE id_hash = $1 AND expires_at > now()`, idHash).
			Scan(&s.UserID, &s.CSRFToken, &s.ExpiresAt))
	})
	if err != nil {
		return s, fmt.Errorf("postgis: session: %w", err)
	}
	return s, nil
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM user_session WHERE id_hash = $1`, idHash)
	return translate(err)
}

// auditColumns holds audit rows as one array per column, for unnest.
type auditColumns struct {
	at                                                                    []time.Time
	subject, role, scope, action, resource, params, result, reqID, client []string
	status                                                                []int32
}

func auditArrays(entries []auth.AuditEntry) auditColumns {
	n := len(entries)
	c := auditColumns{at: make([]time.Time, n), subject: make([]string, n), role: make([]string, n), scope: make([]string, n),
		action: make([]string, n), resource: make([]string, n), params: make([]string, n), result: make([]string, n),
		reqID: make([]string, n), client: make([]string, n), status: make([]int32, n)}
	for i, e := range entries {
		p, err := json.Marshal(e.Params)
		if err != nil || e.Params == nil {
			p = []byte("{}")
		}
		if e.At.IsZero() {
			e.At = time.Now()
		}
		c.subject[i], c.role[i], c.scope[i], c.action[i], c.resource[i], c.params[i] = e.Subject, e.Role, e.Scope, e.Action, e.Resource, string(p)
		c.result[i], c.status[i], c.reqID[i], c.client[i], c.at[i] = e.Result, int32(e.Status), e.RequestID, e.Client, e.At
	}
	return c
}

func (c auditColumns) args() []any {
	return []any{c.at, c.subject, c.role, c.scope, c.action, c.resource, c.params, c.result, c.status, c.reqID, c.client}
}

const auditUnnest = `unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		            $9::int[], $10::text[], $11::text[]) WITH ORDINALITY
		     AS u(at, subject, role, scope, action, resource, params, result, status, request_id, client, ord)`

// AppendAudit writes audit rows, in one statement and transaction, as the reader role, which
// may only append, on the audit pool (no read can hold its connections). It returns after the
// commit: no row is reported written that is not.
func (db *DB) AppendAudit(ctx context.Context, entries ...auth.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	// One round trip and one statement: outside BEGIN, the INSERT is its own transaction, which
	// PostgreSQL commits (waiting for the WAL flush) before it answers, and all its rows or none
	// are stored. An explicit BEGIN and COMMIT around it cost two more statements per batch.
	_, err := db.audit.Exec(ctx, `INSERT INTO audit_log (at, subject, role, scope, action, resource, params, result, status, request_id, client)
		SELECT at, subject, role, scope, action, resource, params::jsonb, result, status, request_id, client
		FROM `+auditUnnest+` ORDER BY ord`, auditArrays(entries).args()...)
	if err != nil {
		return fmt.Errorf("postgis: audit: %w", translate(err))
	}
	return nil
}

// ReplayAudit writes rows of a local audit spool (auth.Spool) in one transaction: those above
// the sequence number recorded for the spool, in order, and records the last. A row already in
// the log with the same time, request id, subject and action is not written again: the database
// may have committed a batch whose acknowledgement was lost with the connection, and the
// server then spooled it.
func (db *DB) ReplayAudit(ctx context.Context, spoolID string, recs []auth.SpoolRecord) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	written := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var done int64
		err := tx.QueryRow(ctx, `SELECT replayed FROM audit_spool_position WHERE spool_id = $1 FOR UPDATE`, spoolID).Scan(&done)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return translate(err)
		}
		var entries []auth.AuditEntry
		for _, r := range recs {
			if r.Seq > done {
				entries = append(entries, r.Entry)
			}
		}
		if len(entries) > 0 {
			tag, err := tx.Exec(ctx, `INSERT INTO audit_log (at, subject, role, scope, action, resource, params, result, status, request_id, client)
				SELECT at, subject, role, scope, action, resource, params::jsonb, result, status, request_id, client
				FROM `+auditUnnest+`
				WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.at = u.at AND a.request_id = u.request_id
				                  AND a.subject = u.subject AND a.action = u.action)
				ORDER BY ord`, auditArrays(entries).args()...)
			if err != nil {
				return translate(err)
			}
			written = int(tag.RowsAffected())
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_spool_position (spool_id, replayed) VALUES ($1, $2)
			ON CONFLICT (spool_id) DO UPDATE SET replayed = greatest(audit_spool_position.replayed, excluded.replayed), updated_at = now()`,
			spoolID, recs[len(recs)-1].Seq)
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("postgis: replay audit spool %s: %w", spoolID, translate(err))
	}
	return written, nil
}

// Audit reads the audit log as the caller: row-level security gives rows to admins only.
func (db *DB) Audit(ctx context.Context, q auth.AuditQuery) ([]auth.AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 10000)
	var out []auth.AuditEntry
	err := db.scopedOn(ctx, db.reader, db.classes[ClassRead], func(tx pgx.Tx) error { // the primary: the newest rows
		rows, err := tx.Query(ctx, `SELECT id, at, subject, role, scope, action, resource, params, result, status, request_id, client
			FROM audit_log
			WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
			  AND ($3 = '' OR subject = $3) AND ($4 = '' OR action = $4) AND ($5 = '' OR starts_with(resource, $5))
			ORDER BY id DESC LIMIT $6`, q.Since, q.Until, q.Subject, q.Action, q.Resource, q.Limit)
		if err != nil {
			return translate(err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.AuditEntry, error) {
			var e auth.AuditEntry
			var params []byte
			err := r.Scan(&e.ID, &e.At, &e.Subject, &e.Role, &e.Scope, &e.Action, &e.Resource, &params, &e.Result, &e.Status, &e.RequestID, &e.Client)
			if err == nil {
				err = json.Unmarshal(params, &e.Params)
			}
			return e, err
		})
		return translate(err)
	})
	if err != nil {
		return nil, fmt.Errorf("postgis: audit log: %w", err)
	}
	return out, nil
}

// DemoUsersExist reports whether enabled demo accounts exist (serve refuses them outside demo
// mode and says so at start).
func (db *DB) DemoUsersExist(ctx context.Context) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app_user WHERE demo AND disabled_at IS NULL)`).Scan(&ok)
	return ok, translate(err)
}
