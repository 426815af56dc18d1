package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// The joint lägesbild (issue 15): collaboration decisions, observations and the disclosure log.
//
// Every read of another agency's observations is noted on the request (noteDisclosures) and
// written with the request's audit row, before the response leaves (audited): the disclosure
// log is the audit log's disclosures, so a disclosure cannot happen without its row.

type disclosureKey struct{}

// disclosureNote collects what one request disclosed.
type disclosureNote struct {
	mu   sync.Mutex
	list []samverkan.Disclosure
}

func withDisclosureNote(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), disclosureKey{}, &disclosureNote{}))
}

// noteDisclosures records that the response carries these records of other agencies.
func noteDisclosures(r *http.Request, ds []samverkan.Disclosure) {
	n, _ := r.Context().Value(disclosureKey{}).(*disclosureNote)
	if n == nil || len(ds) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, d := range ds {
		i := slices.IndexFunc(n.list, func(e samverkan.Disclosure) bool { return e.Owner == d.Owner && e.Decision == d.Decision })
		if i >= 0 {
			n.list[i].Records += d.Records
		} else {
			n.list = append(n.list, d)
		}
	}
}

// disclosureParams adds the request's disclosures (if it succeeded), with the caller's agency,
// to its audit row.
func disclosureParams(r *http.Request, status int, params map[string]any) {
	n, _ := r.Context().Value(disclosureKey{}).(*disclosureNote)
	if n == nil || status < 200 || status >= 300 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.list) > 0 {
		list := make([]map[string]any, 0, len(n.list))
		for _, d := range n.list {
			list = append(list, map[string]any{"owner": d.Owner, "decision": d.Decision, "records": d.Records})
		}
		params["disclosures"] = list
		params["agency"] = identity(r).Agency
	}
}

func (s *Server) samverkanRoutes(r chi.Router) {
	readers := s.allow(auth.Identity.CanReadObservations, "read the agencies' observations")
	admin := s.allow(auth.Identity.CanAdmin, "manage samverkansbeslut")
	r.With(s.allow(func(id auth.Identity) bool { return id.CanAdmin() || id.CanReadObservations() },
		"read samverkansbeslut")).Get("/decisions", s.handle(s.handleDecisions))
	r.With(admin).Post("/decisions", s.handleDecisionWrite(false))
	r.With(s.allow(func(id auth.Identity) bool { return id.CanAdmin() || id.CanReadObservations() },
		"read samverkansbeslut")).Get("/decisions/{decision}", s.handle(s.handleDecision))
	r.With(admin).Put("/decisions/{decision}", s.handleDecisionWrite(true))
	r.With(admin).Post("/decisions/{decision}/revoke", s.handle(s.handleDecisionRevoke))
	r.With(readers).Get("/observations", s.handle(s.handleObservations))
	r.With(s.allow(func(id auth.Identity) bool { return id.CanAdmin() || id.CanReadObservations() },
		"add observations")).Post("/observations", s.handle(s.handleObservationImport))
	r.With(readers).Get("/observation-categories", s.handle(s.handleObservationCategories))
	r.With(readers, s.areaAccess).Get("/areas/{id}/observations", s.handle(s.handleAreaObservations))
	r.With(s.allow(func(id auth.Identity) bool { return id.CanAdmin() || id.CanReadObservations() },
		"read the disclosure log")).Get("/disclosures", s.handle(s.handleDisclosures))
	if s.Summaries != nil {
		r.With(s.allow(auth.Identity.CanReadSummaries, "read summaries or reports")).Get("/regions/{code}/report", s.handle(s.handleRegionReport))
	}
}

var decisionIDParam = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

func decisionParam(r *http.Request) (string, error) {
	id := chi.URLParam(r, "decision")
	if !decisionIDParam.MatchString(id) {
		return "", lagesbild.Invalid("decision", "%q is not a samverkansbeslut id", truncate(id, 40))
	}
	return id, nil
}

// decisionView is a decision with its status now.
type decisionView struct {
	lagesbild.Decision
	Status string `json:"status"` // valid, expired, not_yet_valid, revoked
}

func viewDecision(d lagesbild.Decision, now time.Time) decisionView {
	st := "valid"
	switch {
	case d.RevokedAt != nil:
		st = "revoked"
	case now.Before(d.ValidFrom):
		st = "not_yet_valid"
	case !now.Before(d.ValidUntil):
		st = "expired"
	}
	if d.Agencies == nil {
		d.Agencies = []string{}
	}
	return decisionView{Decision: d, Status: st}
}

// handleDecisions lists every decision to an admin, and to others those their agency takes
// part in.
func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	id := identity(r)
	var ds []lagesbild.Decision
	var err error
	if id.CanAdmin() {
		ds, err = s.Samverkan.DecisionStore.Decisions(r.Context())
	} else {
		ds, err = s.Samverkan.DecisionStore.VisibleDecisions(r.Context())
		ds = slices.DeleteFunc(ds, func(d lagesbild.Decision) bool { return !d.Member(id.Agency) })
	}
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]decisionView, 0, len(ds))
	for _, d := range ds {
		out = append(out, viewDecision(d, now))
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"decisions": out})
	return nil
}

func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) error {
	did, err := decisionParam(r)
	if err == nil {
		err = checkParams(r.URL.Query())
	}
	if err != nil {
		return err
	}
	id := identity(r)
	var d lagesbild.Decision
	if id.CanAdmin() {
		d, err = s.Samverkan.DecisionStore.Decision(r.Context(), did)
	} else {
		var ds []lagesbild.Decision
		ds, err = s.Samverkan.DecisionStore.VisibleDecisions(r.Context())
		i := slices.IndexFunc(ds, func(d lagesbild.Decision) bool { return d.ID == did && d.Member(id.Agency) })
		if err == nil && i < 0 {
			err = lagesbild.ErrNotFound
		}
		if err == nil {
			d = ds[i]
		}
	}
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no samverkansbeslut %s that your agency takes part in", did)
	}
	if err != nil {
		return err
	}
	body := map[string]any{"decision": viewDecision(d, time.Now())}
	if id.CanAdmin() {
		hist, err := s.Samverkan.DecisionStore.DecisionHistory(r.Context(), did)
		if err != nil {
			return err
		}
		body["history"] = hist
	}
	writeJSON(w, http.StatusOK, "application/json", body)
	return nil
}

func (s *Server) handleDecisionWrite(update bool) http.HandlerFunc {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var in samverkan.DecisionInput
		if err := readJSON(r, &in); err != nil {
			return err
		}
		var err error
		if update {
			if in.ID, err = decisionParam(r); err != nil {
				return err
			}
		}
		var d lagesbild.Decision
		by := identity(r).Subject
		if update {
			d, err = s.Samverkan.UpdateDecision(r.Context(), in, by)
			if errors.Is(err, lagesbild.ErrNotFound) {
				err = notFound("there is no unrevoked samverkansbeslut %s", in.ID)
			}
		} else {
			d, err = s.Samverkan.CreateDecision(r.Context(), in, by)
			if errors.Is(err, lagesbild.ErrConflict) {
				err = newError(lagesbild.ErrConflict, "a samverkansbeslut %s exists already", truncate(in.ID, 40))
			}
		}
		if err != nil {
			return err
		}
		status := http.StatusCreated
		if update {
			status = http.StatusOK
		}
		writeJSON(w, status, "application/json", viewDecision(d, time.Now()))
		return nil
	})
}

func (s *Server) handleDecisionRevoke(w http.ResponseWriter, r *http.Request) error {
	did, err := decisionParam(r)
	if err != nil {
		return err
	}
	d, err := s.Samverkan.RevokeDecision(r.Context(), did, identity(r).Subject)
	if errors.Is(err, lagesbild.ErrNotFound) {
		err = notFound("there is no samverkansbeslut %s", did)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", viewDecision(d, time.Now()))
	return nil
}

var (
	regionParam   = regexp.MustCompile(`^5[1-7]00$`)
	agencyParam   = regexp.MustCompile(`^[a-z]{2,5}$`)
	categoryParam = regexp.MustCompile(`^[a-z][a-z0-9_]{1,49}$`)
)

// observationDays reads from and to (dates, both inclusive) as instants [from, to) of Swedish
// days, as the observations' times and months are kept (a monthly indicator is at its month's
// first instant, Swedish time) and as periodQuery reads a summary's period.
func observationDays(v url.Values) (from, to *time.Time, err error) {
	day := func(name string) (*time.Time, error) {
		d, err := parseDay(name, v.Get(name))
		if d == nil || err != nil {
			return nil, err
		}
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, swedish())
		return &t, nil
	}
	if from, err = day("from"); err != nil {
		return nil, nil, err
	}
	if to, err = day("to"); err != nil {
		return nil, nil, err
	}
	if to != nil {
		end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, swedish())
		if from != nil && !from.Before(end) {
			return nil, nil, lagesbild.Invalid("to", "is before from")
		}
		to = &end
	}
	return from, to, nil
}

// observationQuery parses the filters of GET /api/v1/observations.
func observationQuery(r *http.Request) (lagesbild.ObservationQuery, bool, error) {
	v := r.URL.Query()
	var q lagesbild.ObservationQuery
	if err := checkParams(v, "from", "to", "region", "area", "agency", "category", "kind", "bbox", "limit", "format"); err != nil {
		return q, false, err
	}
	var err error
	if q.From, q.To, err = observationDays(v); err != nil {
		return q, false, err
	}
	if q.Region = v.Get("region"); q.Region != "" && !regionParam.MatchString(q.Region) {
		return q, false, lagesbild.Invalid("region", "%q is not a REGIONKOD (5100–5700)", truncate(q.Region, 40))
	}
	if q.AreaID = v.Get("area"); q.AreaID != "" && !areaIDPattern.MatchString(q.AreaID) {
		return q, false, lagesbild.Invalid("area", "%q is not an area id such as 2025-SO9", truncate(q.AreaID, 40))
	}
	if q.Agency = v.Get("agency"); q.Agency != "" && (!agencyParam.MatchString(q.Agency) || lagesbild.AgencyName(q.Agency) == "") {
		return q, false, lagesbild.Invalid("agency", "%q is not an agency code (pm, skv, fk, mv, kfm, ...)", truncate(q.Agency, 40))
	}
	if q.Category = v.Get("category"); q.Category != "" && !categoryParam.MatchString(q.Category) {
		return q, false, lagesbild.Invalid("category", "%q is not a category code", truncate(q.Category, 60))
	}
	switch q.Kind = v.Get("kind"); q.Kind {
	case "", lagesbild.ObservationRecord, lagesbild.ObservationIndicator:
	default:
		return q, false, lagesbild.Invalid("kind", "%q is not record or indicator", truncate(q.Kind, 20))
	}
	if b := v.Get("bbox"); b != "" {
		bb, _, err := parseBBoxIn(b, crsCRS84)
		if err != nil {
			return q, false, err
		}
		q.BBox = &bb
	}
	if q.Limit, err = limitParam(v, 1000, 10000); err != nil {
		return q, false, err
	}
	geo := false
	switch f := v.Get("format"); f {
	case "", "json":
	case "geojson":
		geo = true
	default:
		return q, false, lagesbild.Invalid("format", "%q is not json or geojson", truncate(f, 20))
	}
	q.Geometries = geo
	return q, geo, nil
}

// observationView is a listed observation with its owner and basis spelled out; another
// agency's count of 1–4 is withheld (value null, suppressed true).
type observationView struct {
	lagesbild.ObservationRow
	Value      *int   `json:"value"`
	Suppressed bool   `json:"suppressed,omitempty"`
	AgencyName string `json:"agency_name"`
	Basis      string `json:"basis"`
}

// viewObservation labels o, shown under decision ("" for the caller's own agency's).
func viewObservation(o lagesbild.ObservationRow, decision string) observationView {
	v := samverkan.ListedValue(o, decision == "")
	return observationView{ObservationRow: o, Value: v, Suppressed: v == nil, AgencyName: lagesbild.AgencyName(o.Agency), Basis: basisOf(decision)}
}

func basisOf(decision string) string {
	if decision == "" {
		return "Egen myndighet"
	}
	return "Delat enligt samverkansbeslut " + decision
}

const observationsNote = "Sekretessbelagda uppgifter från myndigheterna, delade endast enligt gällande samverkansbeslut; varje läsning loggas. " +
	"Känsliga kategorier visas bara i totaler. Syntetiska uppgifter är märkta synthetic."

// handleObservations lists the observations the caller may see (records of sensitive
// categories are left out: they count only in totals), as JSON or GeoJSON.
func (s *Server) handleObservations(w http.ResponseWriter, r *http.Request) error {
	q, geo, err := observationQuery(r)
	if err != nil {
		return err
	}
	rd, err := s.Samverkan.Observations(r.Context(), q)
	if err != nil {
		return err
	}
	rows := slices.DeleteFunc(rd.Rows, func(o lagesbild.ObservationRow) bool { return o.Sensitive })
	ds := disclosedOf(rows, rd.Visibility)
	noteDisclosures(r, ds)
	privateNoStore(w)
	if geo {
		type feature struct {
			Type       string          `json:"type"`
			ID         int64           `json:"id"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties observationView `json:"properties"`
		}
		feats := make([]feature, 0, len(rows))
		for _, o := range rows {
			dec, _ := rd.Visibility.Allows(o)
			g := json.RawMessage(o.Geometry)
			if len(g) == 0 {
				g = json.RawMessage("null")
			}
			feats = append(feats, feature{Type: "Feature", ID: o.ID, Geometry: g, Properties: viewObservation(o, dec)})
		}
		writeJSON(w, http.StatusOK, "application/geo+json", map[string]any{"type": "FeatureCollection", "features": feats,
			"note": observationsNote, "disclosed": ds})
		return nil
	}
	out := make([]observationView, 0, len(rows))
	for _, o := range rows {
		dec, _ := rd.Visibility.Allows(o)
		out = append(out, viewObservation(o, dec))
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"observations": out, "note": observationsNote, "disclosed": ds})
	return nil
}

// disclosedOf tallies the rows of other agencies by owner and decision.
func disclosedOf(rows []lagesbild.ObservationRow, v samverkan.Visibility) []samverkan.Disclosure {
	var out []samverkan.Disclosure
	for _, o := range rows {
		dec, ok := v.Allows(o)
		if !ok || dec == "" {
			continue
		}
		i := slices.IndexFunc(out, func(d samverkan.Disclosure) bool { return d.Owner == o.Agency && d.Decision == dec })
		if i < 0 {
			out = append(out, samverkan.Disclosure{Owner: o.Agency, Decision: dec})
			i = len(out) - 1
		}
		out[i].Records++
	}
	return out
}

// handleAreaObservations is the observations part of an area's joint lägesbild.
func (s *Server) handleAreaObservations(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	if err := checkParams(v, "from", "to"); err != nil {
		return err
	}
	q := lagesbild.ObservationQuery{AreaID: chi.URLParam(r, "id"), Limit: 100000}
	var err error
	if q.From, q.To, err = observationDays(v); err != nil {
		return err
	}
	pic, err := s.joinedPicture(r, q)
	if err != nil {
		return err
	}
	privateNoStore(w)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"area_id": q.AreaID, "from": v.Get("from"), "to": v.Get("to"),
		"observations": pic})
	return nil
}

// joinedPicture reads and summarises the observations q selects for the caller, and notes what
// of them was disclosed. A caller who may read no observations gets nil.
func (s *Server) joinedPicture(r *http.Request, q lagesbild.ObservationQuery) (*samverkan.Picture, error) {
	if s.Samverkan == nil || !identity(r).CanReadObservations() {
		return nil, nil
	}
	rd, err := s.Samverkan.Observations(r.Context(), q)
	if err != nil {
		return nil, err
	}
	noteDisclosures(r, rd.Disclosures)
	pic := samverkan.BuildPicture(rd.Rows, rd.Visibility)
	return &pic, nil
}

// privateNoStore marks a response that carries observations: never stored by a browser or a
// proxy, so a decision that expires or is revoked cannot live on in a cache (such responses
// have no ETag either).
func privateNoStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Vary", "Cookie, Authorization")
}

func (s *Server) handleObservationCategories(w http.ResponseWriter, r *http.Request) error {
	if err := checkParams(r.URL.Query()); err != nil {
		return err
	}
	cs, err := s.Samverkan.Store.Categories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"categories": cs})
	return nil
}

// handleObservationImport stores the request body (CSV or GeoJSON) as observations: an
// agency's analyst only its own agency's, an admin any agency's.
func (s *Server) handleObservationImport(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	if err := checkParams(v, "source", "format"); err != nil {
		return err
	}
	id := identity(r)
	o := samverkan.ImportOptions{Source: v.Get("source"), Format: v.Get("format")}
	switch o.Format {
	case "", "csv", "geojson":
	default:
		return lagesbild.Invalid("format", "%q is not csv or geojson", truncate(o.Format, 20))
	}
	if !id.CanAdmin() {
		o.OnlyAgency = id.Agency
	}
	body := http.MaxBytesReader(w, r.Body, s.Limits.maxImportBytes())
	// Every rejected record is named: the first ones in the report, all of them in a CSV file
	// linked from it (as POST /imports), kept an hour for the caller.
	sp := &spool{}
	var spillErr error
	o.Spill = func(e lagesbild.ImportError) error {
		err := sp.add(e)
		if err != nil && spillErr == nil {
			spillErr = err
		}
		return err
	}
	rep, err := s.Samverkan.Import(r.Context(), body, "request", o)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		sp.remove()
		return errTooLarge
	case errors.Is(err, lagesbild.ErrInvalid) && rep.Rejected > 0:
		// As POST /imports: the one error type, with the report naming every bad record.
		var body apiError
		body.Error.Code, body.Error.Message = "rejected", fmt.Sprintf("%d records were rejected; nothing was stored", rep.Rejected)
		writeJSON(w, http.StatusUnprocessableEntity, "application/json", struct {
			apiError
			Report  lagesbild.ImportReport `json:"report"`
			Rejects *rejectLink            `json:"rejects,omitempty"`
		}{body, rep, s.keepSpoolAt(r, sp, rep, spillErr, "/api/v1/observations/rejects/")})
	case err != nil:
		sp.remove()
		return err
	default:
		sp.remove()
		writeJSON(w, http.StatusOK, "application/json", rep)
	}
	return nil
}

// handleDisclosures lists what of an agency's data was disclosed to whom, when and under which
// decision: the caller's agency's (admins: any agency's, or every agency's).
func (s *Server) handleDisclosures(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	if err := checkParams(v, "agency", "since", "until", "limit"); err != nil {
		return err
	}
	id := identity(r)
	q := lagesbild.DisclosureQuery{Owner: v.Get("agency"), Limit: 1000}
	if q.Owner != "" && (!agencyParam.MatchString(q.Owner) || lagesbild.AgencyName(q.Owner) == "") {
		return lagesbild.Invalid("agency", "%q is not an agency code", truncate(q.Owner, 40))
	}
	if !id.CanAdmin() {
		if q.Owner != "" && q.Owner != id.Agency {
			return forbidden("an agency reads only the disclosures of its own data")
		}
		q.Owner = id.Agency
	}
	var err error
	if q.Since, q.Until, err = logRange(v, true); err != nil {
		return err
	}
	if q.Limit, err = limitParam(v, 1000, 10000); err != nil {
		return err
	}
	rows, err := s.Samverkan.Store.Disclosures(r.Context(), q)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []lagesbild.Disclosure{}
	}
	owner := q.Owner
	if owner == "" {
		owner = "alla"
	}
	privateNoStore(w)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"agency": owner, "disclosures": rows,
		"note": strings.TrimSpace("Utlämnanden av myndighetens uppgifter: vem som läste, när, hur många poster och enligt vilket samverkansbeslut.")})
	return nil
}
