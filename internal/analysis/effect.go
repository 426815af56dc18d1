package analysis

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
	"github.com/lagesbild/lagesbild/internal/risk"
)

// Effect follow-up defaults and limits.
const (
	DefaultBufferM   = 500
	MaxBufferM       = 5000
	DefaultControls  = 5
	MaxControls      = 20
	DefaultPreMonths = 12
)

// ReasonHiddenInput is why an estimate is withheld when one of its counts is hidden.
const ReasonHiddenInput = "ett antal som ingår i skattningen är dolt (1–4 händelser)"

// EffectQuery sets up an effect follow-up.
type EffectQuery struct {
	Group     string  // "" for all groups
	BufferM   float64 // 0: DefaultBufferM
	Controls  int     // 0: DefaultControls
	PreMonths int     // 0: DefaultPreMonths
}

// CountJSON is a count with small counts hidden.
type CountJSON struct {
	Value      *int   `json:"value"`
	Suppressed bool   `json:"suppressed"`
	Reason     string `json:"reason,omitempty"`
}

func count(n int) CountJSON {
	v, hidden := risk.SuppressCount(n)
	c := CountJSON{Value: v, Suppressed: hidden}
	if hidden {
		c.Reason = "1–4 händelser"
	}
	return c
}

// ControlJSON is one control area, or a candidate that was not chosen.
type ControlJSON struct {
	AreaID    string    `json:"area_id"`
	Name      string    `json:"name"`
	Chosen    bool      `json:"chosen"`
	Distance  float64   `json:"distance"`
	LevelDiff float64   `json:"level_difference"`
	SlopeDiff float64   `json:"slope_difference_per_month"`
	Before    CountJSON `json:"before"`
	After     CountJSON `json:"after"`
	// OwnOperation says the area had an operation of its own between the start of the
	// before period and the end of the after period: a control that was itself treated pulls
	// the estimate towards no effect.
	OwnOperation bool `json:"own_operation"`
}

// EstimateJSON is the difference-in-differences estimate and the displacement measures.
type EstimateJSON struct {
	RatioOfRatios  float64  `json:"ratio_of_ratios"`
	Lower          float64  `json:"lower"`
	Upper          float64  `json:"upper"`
	P              float64  `json:"p"`
	PercentChange  float64  `json:"percent_change"`
	Corrected      bool     `json:"continuity_corrected"`
	ExpectedTarget float64  `json:"expected_target_after"`
	WDQ            *float64 `json:"wdq"`
	WDQReading     string   `json:"wdq_reading"`
	BufferChange   float64  `json:"buffer_change"`
	SuccessMeasure float64  `json:"success_measure"`
	TotalNetEffect float64  `json:"total_net_effect"`
	// BufferHidden says the buffer's counts are hidden (1–4), and with them WDQ, the buffer
	// change and the total net effect (given as 0).
	BufferHidden bool   `json:"buffer_hidden"`
	Verdict      string `json:"verdict"`
}

// EffectFollowUp is the before/after comparison of an operation.
type EffectFollowUp struct {
	Operation struct {
		ID       int64    `json:"id"`
		Name     string   `json:"name"`
		Agencies []string `json:"agencies"`
		Start    string   `json:"start"`
		End      string   `json:"end"`
	} `json:"operation"`
	Area    AreaJSON   `json:"area"`
	Group   string     `json:"group"`
	Before  PeriodJSON `json:"before"`
	After   PeriodJSON `json:"after"`
	BufferM float64    `json:"buffer_m"`
	Target  struct {
		Before CountJSON `json:"before"`
		After  CountJSON `json:"after"`
	} `json:"target"`
	Buffer struct {
		Before CountJSON `json:"before"`
		After  CountJSON `json:"after"`
	} `json:"buffer"`
	ControlSelection string        `json:"control_selection"`
	Controls         []ControlJSON `json:"controls"`
	Candidates       []ControlJSON `json:"candidates"`
	Excluded         []string      `json:"excluded"`
	Estimate         *EstimateJSON `json:"estimate"`
	Reason           string        `json:"reason,omitempty"`
	Design           []string      `json:"design"`
	Synthetic        bool          `json:"synthetic"`
}

// Design is the plain statement of what the follow-up can and cannot show.
var Design = []string{
	"Kan visa: om brottsnivån i området förändrades mer efter insatsens start än i jämförbara områden " +
		"(samma klass, liknande nivå och trend före), och om händelser tycks ha flyttat till eller minskat i en zon runt området.",
	"Kan inte visa: att insatsen orsakade förändringen. Områden väljs inte slumpmässigt för insatser; " +
		"en insats sätts ofta in när brottsligheten toppat, och en topp följs ofta av en nedgång ändå (regression mot medelvärdet).",
	"Antar att området utan insats hade följt kontrollområdenas utveckling (parallella trender) och att inget annat " +
		"som bara rör området inträffade samtidigt. Kontrollernas förperiod visas för att antagandet ska kunna granskas.",
	"Registrerade händelser är inte brottslighet: mer närvaro ger fler upptäckta brott (t.ex. narkotika), " +
		"så en ökning under en insats kan vara ett tecken på insatsen snarare än på fler brott.",
	"Konfidensintervallet antar Poissonvariation; verkliga antal varierar mer, så osäkerheten är större än intervallet visar.",
}

// OperationEffect follows up one operation: its area before and after the start against
// control areas of the same class, and the buffer around it.
func (s *Service) OperationEffect(ctx context.Context, id int64, q EffectQuery) (*EffectFollowUp, error) {
	if err := s.checkGroup(q.Group, false); err != nil {
		return nil, err
	}
	if q.BufferM == 0 {
		q.BufferM = DefaultBufferM
	}
	if !(q.BufferM >= 50 && q.BufferM <= MaxBufferM) {
		return nil, lagesbild.Invalid("buffer_m", "must be 50 to %d metres, got %g", MaxBufferM, q.BufferM)
	}
	if q.Controls == 0 {
		q.Controls = DefaultControls
	}
	if q.Controls < 1 || q.Controls > MaxControls {
		return nil, lagesbild.Invalid("controls", "must be 1 to %d, got %d", MaxControls, q.Controls)
	}
	if q.PreMonths == 0 {
		q.PreMonths = DefaultPreMonths
	}
	if q.PreMonths < 3 || q.PreMonths > 36 {
		return nil, lagesbild.Invalid("pre_months", "must be 3 to 36, got %d", q.PreMonths)
	}
	op, err := s.store.Operation(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("analysis: operation %d: %w", id, err)
	}
	if op.AreaID == "" {
		return nil, lagesbild.Invalid("id", "operation %d has a polygon but no area; the follow-up compares areas", id)
	}
	a, err := s.store.AnalysisArea(ctx, op.AreaID)
	if err != nil {
		return nil, fmt.Errorf("analysis: area %s: %w", op.AreaID, err)
	}
	newest, err := s.newest(ctx)
	if err != nil {
		return nil, err
	}
	// Whole months: before are the PreMonths months before the start's month, after the months
	// from the start's month to the end's, cut at the newest complete month.
	startMonth := time.Date(op.Start.Year(), op.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
	endMonth := time.Date(op.End.Year(), op.End.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	lastComplete := time.Date(newest.Year(), newest.Month(), 1, 0, 0, 0, 0, time.UTC)
	if newest.AddDate(0, 0, 1).Month() != newest.Month() {
		lastComplete = lastComplete.AddDate(0, 1, 0)
	}
	if endMonth.After(lastComplete) {
		endMonth = lastComplete
	}
	preFrom := startMonth.AddDate(0, -q.PreMonths, 0)
	out := &EffectFollowUp{Area: areaJSON(a), Group: q.Group, BufferM: q.BufferM, Design: Design, Synthetic: op.Synthetic,
		Before: periodJSON(Period{From: preFrom, To: startMonth.AddDate(0, 0, -1)}), Controls: []ControlJSON{}, Candidates: []ControlJSON{}, Excluded: []string{}}
	out.Operation.ID, out.Operation.Name, out.Operation.Agencies = op.ID, op.Name, op.Agencies
	out.Operation.Start, out.Operation.End = op.Start.Format(time.DateOnly), op.End.Format(time.DateOnly)
	if out.Group == "" {
		out.Group = "total"
	}
	out.ControlSelection = fmt.Sprintf("Kandidater: områden i samma lista (%d) och klass (%s), utanför området och %g m-zonen runt det, "+
		"De %d med minst avstånd väljs; avstånd = "+
		"|ln((K+½)/(M+½))| + 12·|skillnad i lutning av ln(antal+½) per månad| över förperiodens %d månader (K, M: kandidatens "+
		"och målområdets antal). Områden med egna insatser under perioden (own_operation) uteslöts inte — i praktiken har de flesta "+
		"utsatta områden återkommande insatser — men markeras; en kontroll med egen insats drar skattningen mot ingen effekt.", a.Set, a.Class, q.BufferM, q.Controls, q.PreMonths)
	if !endMonth.After(startMonth) {
		out.After = periodJSON(Period{From: startMonth, To: startMonth})
		out.Reason = "insatsen har ingen hel månad med data efter starten ännu"
		return out, nil
	}
	out.After = periodJSON(Period{From: startMonth, To: endMonth.AddDate(0, 0, -1)})

	classAreas, err := s.store.ClassAreas(ctx, a.Set, a.Class)
	if err != nil {
		return nil, fmt.Errorf("analysis: class areas: %w", err)
	}
	withOps, err := s.store.OperationAreas(ctx, a.Set, preFrom, endMonth.AddDate(0, 0, -1), op.ID)
	if err != nil {
		return nil, fmt.Errorf("analysis: operations: %w", err)
	}
	near, err := s.store.BufferAreas(ctx, a.ID, q.BufferM)
	if err != nil {
		return nil, fmt.Errorf("analysis: buffer areas: %w", err)
	}
	skip := map[string]string{}
	operated := map[string]bool{}
	for _, id := range withOps {
		operated[id] = true
	}
	for _, id := range near {
		skip[id] = "ligger i zonen runt området"
	}
	names := map[string]string{}
	ids := []string{a.ID}
	for _, c := range classAreas {
		if c.ID == a.ID {
			continue
		}
		if why, ok := skip[c.ID]; ok {
			out.Excluded = append(out.Excluded, c.ID+" "+c.Name+": "+why)
			continue
		}
		names[c.ID] = c.Name
		ids = append(ids, c.ID)
	}
	months, err := s.store.AreaMonths(ctx, ids, preFrom, endMonth, q.Group)
	if err != nil {
		return nil, fmt.Errorf("analysis: area months: %w", err)
	}
	nPre := q.PreMonths
	series := map[string][]float64{}
	after := map[string]int{}
	for _, id := range ids {
		series[id] = make([]float64, nPre)
	}
	for _, m := range months {
		if _, ok := series[m.AreaID]; !ok {
			continue
		}
		if m.Month.Before(startMonth) {
			i := (m.Month.Year()-preFrom.Year())*12 + int(m.Month.Month()) - int(preFrom.Month())
			if i >= 0 && i < nPre {
				series[m.AreaID][i] += float64(m.N)
			}
		} else {
			after[m.AreaID] += m.N
		}
	}
	var cands []risk.ControlCandidate
	for _, id := range ids[1:] {
		cands = append(cands, risk.ControlCandidate{ID: id, Before: series[id]})
	}
	sum := func(xs []float64) int {
		t := 0.0
		for _, x := range xs {
			t += x
		}
		return int(t)
	}
	tb, ta := sum(series[a.ID]), after[a.ID]
	out.Target.Before, out.Target.After = count(tb), count(ta)
	bb, ba, err := s.store.BufferCounts(ctx, a.ID, q.BufferM, preFrom, startMonth, endMonth, q.Group)
	if err != nil {
		return nil, fmt.Errorf("analysis: buffer: %w", err)
	}
	out.Buffer.Before, out.Buffer.After = count(bb), count(ba)
	if len(cands) == 0 {
		out.Reason = "inga jämförbara områden"
		return out, nil
	}
	chosen, all, err := risk.ChooseControls(series[a.ID], cands, q.Controls)
	if err != nil {
		return nil, err
	}
	isChosen := map[string]bool{}
	for _, c := range chosen {
		isChosen[c.ID] = true
	}
	var cb, ca int
	for _, m := range all {
		c := ControlJSON{AreaID: m.ID, Name: names[m.ID], Chosen: isChosen[m.ID], Distance: round3(m.Distance),
			LevelDiff: round3(m.LevelDiff), SlopeDiff: round3(m.SlopeDiff), Before: count(sum(series[m.ID])), After: count(after[m.ID]),
			OwnOperation: operated[m.ID]}
		out.Candidates = append(out.Candidates, c)
		if c.Chosen {
			out.Controls = append(out.Controls, c)
			cb += sum(series[m.ID])
			ca += after[m.ID]
		}
	}
	if tb+ta < risk.MinRateCount {
		out.Reason = risk.ReasonFewEvents + " i området"
		return out, nil
	}
	// The estimate and its companions are functions of the counts: with the others shown, a
	// hidden count (1–4) of the target or of a control could be solved for, so none is given.
	hidden := out.Target.Before.Suppressed || out.Target.After.Suppressed
	for _, c := range out.Controls {
		hidden = hidden || c.Before.Suppressed || c.After.Suppressed
	}
	if hidden {
		out.Reason = ReasonHiddenInput
		return out, nil
	}
	e, err := risk.DiffInDiff(risk.EffectCounts{TargetBefore: tb, TargetAfter: ta, BufferBefore: bb, BufferAfter: ba, ControlBefore: cb, ControlAfter: ca})
	if err != nil {
		out.Reason = "kontrollområdena saknar händelser före eller efter"
		return out, nil
	}
	est := &EstimateJSON{RatioOfRatios: round3(e.RatioOfRatios), Lower: round3(e.Lower), Upper: round3(e.Upper), P: e.P,
		PercentChange: math.Round(e.PercentChange*10) / 10, Corrected: e.Corrected, ExpectedTarget: math.Round(e.ExpectedTarget*10) / 10,
		BufferChange: e.BufferChange, SuccessMeasure: e.SuccessMeasure, TotalNetEffect: math.Round(e.TotalNetEffect*10) / 10}
	est.WDQReading = "ej definierad: området minskade inte i förhållande till kontrollerna"
	bufferHidden := out.Buffer.Before.Suppressed || out.Buffer.After.Suppressed
	if bufferHidden {
		// The buffer measures would give away a hidden buffer count.
		est.WDQReading = "visas inte: zonens antal är dolt (1–4)"
		est.BufferChange, est.TotalNetEffect = 0, 0
		est.BufferHidden = true
	}
	if e.WDQDefined && !bufferHidden {
		w := round3(e.WDQ)
		est.WDQ = &w
		switch {
		case e.WDQ > 1:
			est.WDQReading = "spridning av nytta större än den direkta effekten"
		case e.WDQ > 0:
			est.WDQReading = "spridning av nytta till zonen runt området"
		case e.WDQ == 0:
			est.WDQReading = "ingen förändring i zonen"
		case e.WDQ >= -1:
			est.WDQReading = "förflyttning till zonen, mindre än den direkta effekten"
		default:
			est.WDQReading = "förflyttning till zonen, större än den direkta effekten"
		}
	}
	switch {
	case e.Upper < 1:
		est.Verdict = fmt.Sprintf("Minskning mot kontrollerna: %.0f %% (95 %% KI %.0f till %.0f %%).", -e.PercentChange, 100*(1-e.Upper), 100*(1-e.Lower))
	case e.Lower > 1:
		est.Verdict = fmt.Sprintf("Ökning mot kontrollerna: %.0f %% (95 %% KI %.0f till %.0f %%).", e.PercentChange, 100*(e.Lower-1), 100*(e.Upper-1))
	default:
		est.Verdict = "Ingen säkerställd skillnad mot kontrollerna."
	}
	out.Estimate = est
	return out, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
