package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/httpapi"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// The tests of careless and hostile clients (issue 18): bounded memory for a bad import,
// bounded audit rows for failed logins, slow clients cut, HEAD and CORS preflight on the map
// paths, absurd weights refused, and every 4xx naming its cause.

// rssBytes is the resident set of this process (the test's own server runs in it).
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// peakRSS samples the resident set while f runs and returns the growth of its peak over the
// resident set before (after returning what the earlier tests left to the system).
func peakRSS(t *testing.T, f func()) (before, peak int64) {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	before = rssBytes(t)
	var max atomic.Int64
	max.Store(before)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if v := rssBytes(t); v > max.Load() {
					max.Store(v)
				}
			}
		}
	}()
	f()
	close(stop)
	<-done
	return before, max.Load()
}

// rowsReader generates a CSV of a header and n rows, without holding it in memory.
type rowsReader struct {
	header string
	row    func(i int) string
	n, i   int
	buf    []byte
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i <= r.n {
		if r.i == 0 {
			r.buf = append(r.buf, r.header...)
		} else {
			r.buf = append(r.buf, r.row(r.i)...)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// repeatReader yields n copies of b.
func repeatReader(b byte, n int64) io.Reader {
	return io.LimitReader(bytesRepeater(b), n)
}

type bytesRepeater byte

func (b bytesRepeater) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// importBody is the JSON answer of an import.
type importBody struct {
	Error struct {
		Code, Message, Parameter string
	} `json:"error"`
	Report struct {
		Read          int                     `json:"read"`
		Rejected      int                     `json:"rejected"`
		Errors        []lagesbild.ImportError `json:"errors"`
		ErrorsOmitted int                     `json:"errors_omitted"`
	} `json:"report"`
	Rejects *struct {
		URL   string `json:"url"`
		Count int    `json:"count"`
	} `json:"rejects"`
}

func postImport(t *testing.T, base, query string, body io.Reader, header ...string) (*http.Response, importBody, []byte) {
	t.Helper()
	resp, b := secDo(t, base, http.MethodPost, "/api/v1/imports?"+query, body, header...)
	var out importBody
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("import %s: %d, not JSON: %.300q", query, resp.StatusCode, b)
	}
	return resp, out, b
}

const csvHeader = "source_id,occurred_at,category,agency,lat,lon\n"

// TestHostileImports: a large file whose every row is bad, or of one endless line, keeps the
// server's memory bounded; the report lists the first rejects and counts all, the full list is
// a file; uploads that cannot be read at all name why.
func TestHostileImports(t *testing.T) {
	e := newSecEnv(t, false, nil)
	t.Cleanup(e.api.Close) // removes the reject lists
	admin, _ := e.token(t, auth.RoleAdmin, "")
	hdr := append(bearer(admin), "Content-Type", "text/csv")
	const q = "kind=incidents&format=csv&source=agency.x&file=bad.csv"

	t.Run("all-invalid rows: bounded memory, first rejects, full list as a file", func(t *testing.T) {
		// About 20 MB, every row with a bad time: before the fix such a file (at twice the size)
		// took the server from 62 MB to over 1 GB.
		const rows = 600_000
		body := &rowsReader{header: csvHeader, n: rows, row: func(i int) string {
			return fmt.Sprintf("%d,igår,skottlossning,pm,59.39,17.90\n", i)
		}}
		var resp *http.Response
		var out importBody
		before, peak := peakRSS(t, func() { resp, out, _ = postImport(t, e.srv.URL, q, body, hdr...) })
		t.Logf("RSS %d MB before, peak %d MB during the import of %d bad rows", before>>20, peak>>20, rows)
		if peak-before > 200<<20 {
			t.Errorf("RSS grew by %d MB during an all-invalid import (bound 200 MB)", (peak-before)>>20)
		}
		if resp.StatusCode != 422 || out.Error.Code != "rejected" || !strings.Contains(out.Error.Message, strconv.Itoa(rows)) {
			t.Fatalf("all-invalid import: %d %+v", resp.StatusCode, out.Error)
		}
		r := out.Report
		if r.Rejected != rows || len(r.Errors) != lagesbild.MaxReportErrors || r.ErrorsOmitted != rows-lagesbild.MaxReportErrors ||
			r.Errors[0].Line != 2 || r.Errors[0].Field != "occurred_at" {
			t.Fatalf("report: rejected %d, %d listed, %d omitted, first %+v", r.Rejected, len(r.Errors), r.ErrorsOmitted, r.Errors[0])
		}
		if out.Rejects == nil || out.Rejects.Count != rows || !strings.Contains(out.Rejects.URL, "/api/v1/imports/rejects/") {
			t.Fatalf("no link to the full list: %+v", out.Rejects)
		}
		if n := count(t, e.conn, `SELECT count(*) FROM incident`); n != 0 {
			t.Errorf("%d incidents stored by a rejected import", n)
		}

		// The full list, streamed: a header and one row per rejected record.
		path := out.Rejects.URL[strings.Index(out.Rejects.URL, "/api/"):]
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		list, err := secClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer list.Body.Close()
		if list.StatusCode != 200 || !strings.HasPrefix(list.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("reject list: %d %s", list.StatusCode, list.Header.Get("Content-Type"))
		}
		sc := bufio.NewScanner(list.Body)
		lines := 0
		var second string
		for sc.Scan() {
			if lines == 1 {
				second = sc.Text()
			}
			lines++
		}
		if lines != rows+1 || !strings.HasPrefix(second, "bad.csv,2,occurred_at,") {
			t.Errorf("reject list: %d lines (want a header and %d rows), first row %q", lines, rows, second)
		}
		// Only the importing user may read it, and reading it is audited.
		other, _ := e.token(t, auth.RoleAdmin, "")
		if resp, _ := secDo(t, e.srv.URL, http.MethodGet, path, nil, bearer(other)...); resp.StatusCode != 404 {
			t.Errorf("another admin's reject list: %d, want 404", resp.StatusCode)
		}
		nat, _ := e.token(t, auth.RoleNationell, "")
		if resp, _ := secDo(t, e.srv.URL, http.MethodGet, path, nil, bearer(nat)...); resp.StatusCode != 403 {
			t.Errorf("an analyst reads a reject list: %d, want 403", resp.StatusCode)
		}
		if n := count(t, e.conn, `SELECT count(*) FROM audit_log WHERE resource = $1`, path); n != 2 {
			t.Errorf("%d audit rows for the reject list, want 2 (the read and the refused read)", n)
		}
	})

	t.Run("a few rejects: all in the report, no list file", func(t *testing.T) {
		body := csvHeader + "1,igår,skottlossning,pm,59.39,17.90\n2,2025-05-01 22:10,skottlossning,pm,59.39,östra\n"
		resp, out, raw := postImport(t, e.srv.URL, q, strings.NewReader(body), hdr...)
		if resp.StatusCode != 422 || out.Report.Rejected != 2 || len(out.Report.Errors) != 2 || out.Report.ErrorsOmitted != 0 || out.Rejects != nil {
			t.Errorf("two bad rows: %d %.300s", resp.StatusCode, raw)
		}
	})

	t.Run("one endless header line: bounded memory, 400 naming the line", func(t *testing.T) {
		var resp *http.Response
		var out importBody
		before, peak := peakRSS(t, func() {
			resp, out, _ = postImport(t, e.srv.URL, q, repeatReader('a', 50<<20), hdr...)
		})
		t.Logf("RSS %d MB before, peak %d MB during a 50 MB line", before>>20, peak>>20)
		if peak-before > 200<<20 {
			t.Errorf("RSS grew by %d MB for one endless line (bound 200 MB)", (peak-before)>>20)
		}
		if resp.StatusCode != 400 || out.Error.Parameter != "body" || !strings.Contains(out.Error.Message, "line 1 is longer than") {
			t.Errorf("endless line: %d %+v", resp.StatusCode, out.Error)
		}
	})

	t.Run("one endless GeoJSON value: bounded memory, 400 naming the limit", func(t *testing.T) {
		var resp *http.Response
		var out importBody
		body := io.MultiReader(strings.NewReader(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"source_id":"`),
			repeatReader('a', 60<<20), strings.NewReader(`"}}]}`))
		before, peak := peakRSS(t, func() {
			resp, out, _ = postImport(t, e.srv.URL, "kind=incidents&format=geojson&source=agency.x", body, hdr...)
		})
		t.Logf("RSS %d MB before, peak %d MB during a 60 MB GeoJSON string", before>>20, peak>>20)
		if peak-before > 250<<20 {
			t.Errorf("RSS grew by %d MB for one endless GeoJSON value (bound 250 MB)", (peak-before)>>20)
		}
		if resp.StatusCode != 400 || out.Error.Parameter != "body" || !strings.Contains(out.Error.Message, "1 MiB") {
			t.Errorf("endless GeoJSON value: %d %+v", resp.StatusCode, out.Error)
		}
	})

	t.Run("over the upload cap: 413", func(t *testing.T) {
		api := *e.api
		api.Limits.MaxImportBytes = 1 << 20
		srv := httptest.NewServer(api.Handler())
		defer srv.Close()
		big := &rowsReader{header: csvHeader, n: 100_000, row: func(i int) string {
			return fmt.Sprintf("%d,2025-05-01 22:10,skottlossning,pm,59.39,17.90\n", i)
		}}
		// Once with a Content-Length over the cap, once chunked.
		var known bytes.Buffer
		_, _ = io.Copy(&known, big)
		for name, body := range map[string]io.Reader{"Content-Length": bytes.NewReader(known.Bytes()), "chunked": io.MultiReader(bytes.NewReader(known.Bytes()))} {
			resp, out, _ := postImport(t, srv.URL, q, body, hdr...)
			if resp.StatusCode != 413 || out.Error.Code != "too_large" || !strings.Contains(out.Error.Message, "1 MiB") {
				t.Errorf("%s over the cap: %d %+v", name, resp.StatusCode, out.Error)
			}
		}
	})

	// Every upload that cannot be read at all says why, naming the body and what is wrong.
	const csvQuery = "kind=incidents&format=csv&source=agency.x"
	for _, c := range []struct {
		name, query, body string
		want              []string
	}{
		{"empty body", csvQuery, "", []string{"empty"}},
		{"binary body (gzip)", csvQuery, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00", []string{"binary data", "byte 4"}},
		{"Latin-1 text", csvQuery, csvHeader + "1,2025-05-01 22:10,misshandel,pm,59.39,17.90,G\xf6teborg\n", []string{"not UTF-8 text", "0xf6"}},
		{"binary body (NUL)", csvQuery, "source_id\x00,x\n", []string{"binary data"}},
		{"no required columns", csvQuery, "a,b\n1,2\n", []string{"source_id"}},
		{"no source given (defaults to the format)", "kind=incidents&format=geojson", `{"type":"FeatureCollection","features":[{`, []string{"invalid JSON"}},
		{"broken GeoJSON", "kind=incidents&format=geojson&source=agency.x", `{"type":"FeatureCollection","features":[{"type":"Feature",]}`, []string{"invalid JSON"}},
		{"GeoJSON of another kind", "kind=incidents&format=geojson&source=agency.x", `[1,2,3]`, []string{"bad.json"}},
		{"presence with a bad header", "kind=presence&format=csv&source=agency.x", "namn,plats\nx,y\n", []string{"bad.json:1", "required column"}},
		{"population with a bad header", "kind=population", "x,y\n1,2\n", []string{"area_id"}},
		{"population over its cap", "kind=population", "area_id,population,estimated,method,source\n" + strings.Repeat("x\n", 600<<10), []string{"at most 1 MiB"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, out, raw := postImport(t, e.srv.URL, c.query+"&file=bad.json", strings.NewReader(c.body), hdr...)
			if resp.StatusCode != 400 || out.Error.Code != "invalid" || out.Error.Parameter != "body" || out.Error.Message == "Bad Request" {
				t.Fatalf("%d %.300s", resp.StatusCode, raw)
			}
			for _, w := range c.want {
				if !strings.Contains(out.Error.Message, w) {
					t.Errorf("message %q does not say %q", out.Error.Message, w)
				}
			}
		})
	}
}

// TestHostileLogins: failed logins are audited one row per client and window with a count,
// password spraying across names meets 429, and bad login bodies get plain-word errors.
func TestHostileLogins(t *testing.T) {
	e := newSecEnv(t, false, nil)
	createUser(t, e.api.Auth, "anna.analytiker", auth.RoleNationell, "", false)

	t.Run("bad bodies", func(t *testing.T) {
		for _, c := range []struct {
			name, body string
			status     int
			want       string
		}{
			{"an array", `[1,2,3]`, 400, "expected a JSON object, got an array"},
			{"a number for the name", `{"username":5,"password":"x"}`, 400, `field "username": expected a string, got a number`},
			{"an unknown field", `{"username":"a","password":"b","` + strings.Repeat("x", 5000) + `":1}`, 400, "unknown field"},
			{"broken JSON", `{"username":`, 400, "ends too early"},
			{"empty", ``, 400, "empty"},
			{"two objects", `{"username":"a","password":"b"}{}`, 400, "more after the JSON object"},
			{"over the limit", `{"username":"a","password":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than 64 KiB"},
		} {
			resp, b := secDo(t, e.srv.URL, http.MethodPost, "/api/v1/session", strings.NewReader(c.body), "Content-Type", "application/json")
			er := errorBody(t, resp, b)
			if resp.StatusCode != c.status || !strings.Contains(er.Error.Message, c.want) {
				t.Errorf("%s: %d %q, want %d saying %q", c.name, resp.StatusCode, er.Error.Message, c.status, c.want)
			}
			for _, leak := range []string{"struct", "Go value", "json:", "main.", "httpapi", "unexpected EOF"} {
				if strings.Contains(string(b), leak) {
					t.Errorf("%s: the answer shows %q: %.200s", c.name, leak, b)
				}
			}
			if len(b) > 1000 {
				t.Errorf("%s: a %d-byte error echoes too much", c.name, len(b))
			}
		}
	})

	// An unknown parameter of 100 KB is named, cut short, not echoed in full.
	long := strings.Repeat("p", 100<<10)
	tok, _ := e.token(t, auth.RoleNationell, "")
	resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/me?"+long+"=1", nil, bearer(tok)...)
	if er := errorBody(t, resp, b); resp.StatusCode != 400 || len(b) > 2000 || !strings.HasPrefix(er.Error.Parameter, "ppp") || !strings.HasSuffix(er.Error.Parameter, "…") {
		t.Errorf("a 100 KB parameter name: %d, %d bytes, parameter %.120q", resp.StatusCode, len(b), er.Error.Parameter)
	}

	beforeID := count(t, e.conn, `SELECT coalesce(max(id), 0)::int FROM audit_log`)
	sent := 0 // failed logins sent
	t.Run("password spraying across names meets 429", func(t *testing.T) {
		limited := 0
		for i := 1; i <= 30 && limited == 0; i++ {
			resp, b := login(t, e.srv.URL, fmt.Sprintf("namn%02d", i), "Sommar2025!")
			sent++
			switch resp.StatusCode {
			case 401:
			case 429:
				limited = i
				if er := errorBody(t, resp, b); er.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") == "" {
					t.Errorf("429: %q, Retry-After %q", er.Error.Code, resp.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("name %d: %d %s", i, resp.StatusCode, b)
			}
		}
		if limited == 0 {
			t.Fatal("30 names from one address never met 429")
		}
		t.Logf("the limit came at name %d", limited)
	})

	t.Run("1000 rejected logins give a bounded number of audit rows", func(t *testing.T) {
		var wg sync.WaitGroup
		var other atomic.Int64
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 125 {
					status := statusOf(t, e.srv.URL, http.MethodPost, "/api/v1/session",
						fmt.Sprintf(`{"username":"spray%d.%d","password":"fel"}`, g, i), "Content-Type", "application/json")
					if status != 401 && status != 429 {
						other.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		sent += 1000
		if n := other.Load(); n > 0 {
			t.Errorf("%d failed logins were answered with neither 401 nor 429", n)
		}
		// Rows are written as the windows close; Close writes the open ones.
		e.api.Close()
		if added := count(t, e.conn, `SELECT count(*) FROM audit_log WHERE id > $1 AND action = 'login'`, beforeID); added > 4 {
			t.Errorf("%d audit rows for %d failed logins from one client, want at most 4", added, sent)
		}
		// Nothing is lost: the single rows and the counts of the aggregated ones add up.
		total := count(t, e.conn, `SELECT (count(*) FILTER (WHERE result <> 'aggregated') + coalesce(sum((params->>'failures')::int), 0))::int
			FROM audit_log WHERE id > $1 AND action = 'login' AND status IN (401, 429)`, beforeID)
		if total != sent {
			t.Errorf("the audit log accounts for %d failed logins, %d were sent", total, sent)
		}
		if n := count(t, e.conn, `SELECT count(*) FROM audit_log WHERE id > $1 AND action = 'login' AND result = 'aggregated'
			AND client = '127.0.0.1' AND jsonb_array_length(params->'names') = 10 AND (params->>'more_names')::bool`, beforeID); n < 1 {
			t.Error("no aggregated row with the names tried")
		}
	})
}

// rawConn is a TCP connection to srv that sends exactly what a test writes.
func rawConn(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A guard against a server that never answers; the test asserts no time.
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	return c
}

// trickle sends body one byte a second until it is sent or the server stops reading.
func trickle(c net.Conn, body string) {
	for i := range len(body) {
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
}

// TestSlowClients: a body sent a byte a second is cut (login, admin JSON and import), an idle
// keep-alive connection is closed, and the connection cap holds.
func TestSlowClients(t *testing.T) {
	e := newSecEnv(t, false, nil)
	admin, _ := e.token(t, auth.RoleAdmin, "")
	api := *e.api
	api.Limits = httpapi.Limits{BodyTimeout: 2 * time.Second, ImportIdle: 2 * time.Second, IdleTimeout: 2 * time.Second, MaxConns: 50}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = api.HTTPServer()
	srv.Listener = api.Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)

	for _, c := range []struct{ name, head string }{
		{"login", "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"},
		{"import", "POST /api/v1/imports?kind=incidents&format=csv&source=a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin +
			"\r\nContent-Type: text/csv\r\nContent-Length: 200000\r\n\r\n"},
	} {
		t.Run("a body at 1 byte/s is cut: "+c.name, func(t *testing.T) {
			conn := rawConn(t, srv)
			if _, err := io.WriteString(conn, c.head); err != nil {
				t.Fatal(err)
			}
			go trickle(conn, strings.Repeat("x", 200))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a slow body: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
				t.Errorf("slow body: %d (close %v) %.200s, want 408 and the connection closed", resp.StatusCode, resp.Close, b)
			}
		})
	}

	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		conn := rawConn(t, srv)
		br := bufio.NewReader(conn)
		for range 2 { // the connection is reused once, then left idle
			if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Close {
				t.Fatalf("keep-alive request: %d, close %v", resp.StatusCode, resp.Close)
			}
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("idle connection: read gave %v, want EOF (closed by the server)", err)
		}
	})

	t.Run("connections beyond the cap wait", func(t *testing.T) {
		capped := *e.api
		capped.Limits.MaxConns = 2
		one := httptest.NewUnstartedServer(nil)
		one.Config = capped.HTTPServer()
		one.Listener = capped.Listener(one.Listener)
		one.Start()
		defer one.Close()
		// Two open connections hold the cap; a third is accepted by the kernel but not served
		// until one of them closes.
		a, b := rawConn(t, one), rawConn(t, one)
		for _, c := range []net.Conn{a, b} {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
				t.Fatalf("within the cap: %v", err)
			}
		}
		third := rawConn(t, one)
		served := make(chan int, 1)
		go func() {
			_, _ = io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(third), nil)
			if err != nil {
				served <- 0
				return
			}
			served <- resp.StatusCode
		}()
		select {
		case s := <-served:
			t.Fatalf("a third connection was served (%d) while two held the cap of 2", s)
		case <-time.After(300 * time.Millisecond):
		}
		a.Close()
		if s := <-served; s != 200 {
			t.Errorf("the waiting connection after one closed: %d", s)
		}
	})
}

// TestHeadAndPreflight: HEAD and a CORS preflight answer on every tile path, TileJSON, the
// style and the OGC landing page, with the headers a MapLibre app or a probing tool needs.
func TestHeadAndPreflight(t *testing.T) {
	e := newSecEnv(t, true, func(api *httpapi.Server) { api.Profiles = api.Areas.(lagesbild.WeightProfileStore) })
	nat, _ := e.token(t, auth.RoleNationell, "")
	full := "/tiles/kommuner/" + tileAt(skaggetorp, 8) + ".mvt"
	paths := []struct {
		path, ctype string
		status      int
	}{
		{"/tiles", "application/json", 200},
		{"/tiles/omraden.json", "application/json", 200},
		{"/tiles/h3.json", "application/json", 200},
		{full, "application/vnd.mapbox-vector-tile", 200},
		{"/tiles/h3,omraden/" + tileAt(skaggetorp, 10) + ".mvt", "application/vnd.mapbox-vector-tile", 200},
		{"/tiles/handelser/0/0/0.pbf", "", 204}, // empty at zoom 0
		{"/styles/lagesbild.json", "application/json", 200},
		{"/ogc", "application/json", 200},
		{"/ogc/collections", "application/json", 200},
	}
	for _, p := range paths {
		get, getBody := secDo(t, e.srv.URL, http.MethodGet, p.path, nil, bearer(nat)...)
		head, headBody := secDo(t, e.srv.URL, http.MethodHead, p.path, nil, bearer(nat)...)
		if get.StatusCode != p.status || head.StatusCode != p.status || len(headBody) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes (GET %d), want %d without a body", p.path, head.StatusCode, len(headBody), get.StatusCode, p.status)
			continue
		}
		if p.ctype != "" && !strings.HasPrefix(head.Header.Get("Content-Type"), p.ctype) {
			t.Errorf("HEAD %s: Content-Type %q, want %s", p.path, head.Header.Get("Content-Type"), p.ctype)
		}
		if head.Header.Get("Access-Control-Allow-Origin") != "*" && !strings.HasPrefix(p.path, "/ogc") {
			t.Errorf("HEAD %s: no Access-Control-Allow-Origin", p.path)
		}
		if et := get.Header.Get("ETag"); et != "" && head.Header.Get("ETag") != et {
			t.Errorf("HEAD %s: ETag %q, GET %q", p.path, head.Header.Get("ETag"), et)
		}
		if cl := head.Header.Get("Content-Length"); p.status == 200 && get.Header.Get("Content-Encoding") == "" && cl != strconv.Itoa(len(getBody)) {
			t.Errorf("HEAD %s: Content-Length %q, GET sent %d bytes", p.path, cl, len(getBody))
		}
		// The preflight of a MapLibre page on another origin: no credentials, 204, CORS headers.
		pre, b := secDo(t, e.srv.URL, http.MethodOptions, p.path, nil, "Origin", "https://karta.example.se",
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")
		h := pre.Header
		if pre.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "HEAD") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || len(b) != 0 {
			t.Errorf("OPTIONS %s: %d %v %.100s", p.path, pre.StatusCode, h, b)
		}
	}
	// Without credentials HEAD is still 401, as GET is.
	if resp, _ := secDo(t, e.srv.URL, http.MethodHead, full, nil); resp.StatusCode != 401 {
		t.Errorf("HEAD %s without credentials: %d", full, resp.StatusCode)
	}

	// Weights: absurd or non-finite ones are refused naming the parameter, in the query and in a
	// saved profile; large finite ones within the bound rank like their ratios.
	for _, w := range []string{"violent_rate:1e308,trend:1e308", "violent_rate:NaN", "trend:Inf", "trend:-1", "trend:1001", "trend:0", "nope:1"} {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/priority?set=2025&weights="+w, nil, bearer(nat)...)
		if er := errorBody(t, resp, b); resp.StatusCode != 400 || er.Error.Parameter != "weights" {
			t.Errorf("weights=%s: %d %+v", w, resp.StatusCode, er.Error)
		}
	}
	for _, body := range []string{`{"weights":{"violent_rate":1e308,"trend":1e308}}`, `{"weights":{"trend":-1}}`, `{"weights":{"trend":1e400}}`} {
		resp, b := secDo(t, e.srv.URL, http.MethodPut, "/api/v1/priority/profiles/absurd", strings.NewReader(body), append(bearer(nat), "Content-Type", "application/json")...)
		er := errorBody(t, resp, b)
		if resp.StatusCode != 400 || (er.Error.Parameter != "weights" && !strings.Contains(er.Error.Message, "weights")) {
			t.Errorf("profile %s: %d %+v", body, resp.StatusCode, er.Error)
		}
	}
	ranks := func(w string) []float64 {
		resp, b := secDo(t, e.srv.URL, http.MethodGet, "/api/v1/priority?set=2025&weights="+w, nil, bearer(nat)...)
		if resp.StatusCode != 200 {
			t.Fatalf("weights=%s: %d %.200s", w, resp.StatusCode, b)
		}
		var out struct {
			Areas []struct {
				Score *float64 `json:"score"`
			} `json:"areas"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		var totals []float64
		for _, a := range out.Areas {
			if a.Score != nil {
				totals = append(totals, *a.Score)
			}
		}
		return totals
	}
	small, large := ranks("violent_rate:1,trend:1"), ranks("violent_rate:1000,trend:1000")
	if len(small) < 2 || fmt.Sprint(small) != fmt.Sprint(large) {
		t.Errorf("weights 1,1 and 1000,1000 rank differently: %v vs %v", small, large)
	}
	distinct := map[float64]bool{}
	for _, v := range large {
		distinct[v] = true
	}
	if len(distinct) < 2 {
		t.Errorf("large weights collapse the ranking: totals %v", large)
	}
}
