package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagesbild/lagesbild/internal/auth"
	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/samverkan"
)

// obsCollection is the OGC API collection of the agencies' observations: the same rows, scoped
// the same way (row-level security and the service's check), as GET /api/v1/observations, and
// every read of another agency's feature goes into the disclosure log.
const obsCollection = "observationer"

func (s *Server) ogcObservationRoutes(r chi.Router) {
	obs := r.With(s.allow(auth.Identity.CanReadObservations, "read the agencies' observations"))
	obs.Get("/collections/"+obsCollection, s.handle(s.handleObsCollection))
	obs.Get("/collections/"+obsCollection+"/items", s.handle(s.handleObsItems))
	obs.Get("/collections/"+obsCollection+"/items/{featureId}", s.handle(s.handleObsItem))
	obs.Get("/collections/"+obsCollection+"/queryables", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return notFound("the collection %s has no queryables", obsCollection)
	}))
}

func (s *Server) obsCollectionMeta() lagesbild.Collection {
	return lagesbild.Collection{ID: obsCollection, Title: "Myndigheternas observationer",
		Description: "Observationer som din myndighet äger eller som delas med den enligt ett gällande samverkansbeslut som omfattar platsen " +
			"(egenskaperna agency och basis anger ägare och grund). Känsliga kategorier ingår inte. Varje läsning av en annan myndighets " +
			"uppgifter loggas med beslutet. Syntetiska uppgifter har synthetic: true.",
		GeometryType: "Geometry", BBox: lagesbild.BBox{MinLon: 10.5, MinLat: 55, MaxLon: 24.5, MaxLat: 69.5}}
}

// observationCollections is what the collections list adds for the caller.
func (s *Server) observationCollections(r *http.Request, base string) []ogcCollection {
	if s.Samverkan == nil || !identity(r).CanReadObservations() {
		return nil
	}
	c := s.collectionJSON(base, s.obsCollectionMeta())
	c.Links = slices.DeleteFunc(c.Links, func(l ogcLink) bool { return l.Rel == queryablesRel })
	c.CRS = []string{crs84}
	return []ogcCollection{c}
}

func (s *Server) handleObsCollection(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	cs := s.observationCollections(r, s.ogcBase(r))
	writeJSON(w, http.StatusOK, jsonType, cs[0])
	return nil
}

// obsFeatures reads the caller's visible, non-sensitive observations as OGC features.
func (s *Server) obsFeatures(r *http.Request, q lagesbild.ObservationQuery) ([]ogcFeature, []lagesbild.ObservationRow, samverkan.Visibility, error) {
	q.Geometries = true
	rd, err := s.Samverkan.Observations(r.Context(), q)
	if err != nil {
		return nil, nil, rd.Visibility, err
	}
	rows := slices.DeleteFunc(rd.Rows, func(o lagesbild.ObservationRow) bool { return o.Sensitive })
	feats := make([]ogcFeature, 0, len(rows))
	for _, o := range rows {
		dec, _ := rd.Visibility.Allows(o)
		props, err := json.Marshal(viewObservation(o, dec))
		if err != nil {
			return nil, nil, rd.Visibility, err
		}
		feats = append(feats, ogcFeature{Type: "Feature", ID: "obs-" + strconv.FormatInt(o.ID, 10), Geometry: o.Geometry, Properties: props})
	}
	return feats, rows, rd.Visibility, nil
}

func (s *Server) handleObsItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := checkOGCParams(q, "limit", "offset", "bbox", "datetime"); err != nil {
		return err
	}
	fq, err := parseFeatureQuery(q)
	if err != nil {
		return err
	}
	oq := lagesbild.ObservationQuery{BBox: fq.BBox, Limit: 10000}
	if fq.Time != nil {
		oq.From, oq.To = fq.Time.Start, fq.Time.End
		if oq.To != nil {
			end := oq.To.Add(time.Nanosecond) // datetime intervals are closed
			oq.To = &end
		}
	}
	all, rows, vis, err := s.obsFeatures(r, oq)
	if err != nil {
		return err
	}
	lo, hi := min(fq.Offset, len(all)), min(fq.Offset+fq.Limit, len(all))
	page := all[lo:hi]
	noteDisclosures(r, disclosedOf(rows[lo:hi], vis)) // only what leaves: the page's rows
	items := s.ogcBase(r) + "/collections/" + obsCollection + "/items"
	fc := ogcFeatureCollection{Type: "FeatureCollection", Features: page, NumberMatched: new(len(all)), NumberReturned: len(page),
		TimeStamp: time.Now().UTC().Format(time.RFC3339),
		Links:     []ogcLink{{Href: items, Rel: "self", Type: geoJSON, Title: "Den här sidan"}}}
	if hi < len(all) {
		p := url.Values{}
		for k, v := range q {
			p[k] = v
		}
		p.Set("offset", strconv.Itoa(hi))
		fc.Links = append(fc.Links, ogcLink{Href: items + "?" + p.Encode(), Rel: "next", Type: geoJSON, Title: "Nästa sida"})
	}
	privateNoStore(w)
	w.Header().Set("Content-Crs", "<"+crs84+">")
	writeJSON(w, http.StatusOK, geoJSON, fc)
	return nil
}

func (s *Server) handleObsItem(w http.ResponseWriter, r *http.Request) error {
	if err := checkOGCParams(r.URL.Query()); err != nil {
		return err
	}
	fid := chi.URLParam(r, "featureId")
	n, err := strconv.ParseInt(strings.TrimPrefix(fid, "obs-"), 10, 64)
	if !strings.HasPrefix(fid, "obs-") || err != nil || n <= 0 {
		return notFound("there is no feature %q in %s", truncate(fid, 40), obsCollection)
	}
	all, rows, vis, err := s.obsFeatures(r, lagesbild.ObservationQuery{Limit: 100000})
	if err != nil {
		return err
	}
	for i, f := range all {
		if f.ID == fid {
			noteDisclosures(r, disclosedOf(rows[i:i+1], vis))
			privateNoStore(w)
			writeJSON(w, http.StatusOK, geoJSON, f)
			return nil
		}
	}
	return notFound("there is no feature %q in %s that you may see", truncate(fid, 40), obsCollection)
}
