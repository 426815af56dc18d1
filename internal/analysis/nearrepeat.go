package analysis

import (
	"context"
	"fmt"
	"math"

	"github.com/lagesbild/lagesbild/internal/risk"
)

// DefaultKnox are the Near Repeat Calculator's usual settings for burglary: 100 m bands to
// 500 m and 7-day bands to 28 days, 999 permutations.
var DefaultKnox = risk.KnoxParams{SpaceBandM: 100, SpaceBands: 5, TimeBandDays: 7, TimeBands: 4, Permutations: 999, Seed: 1}

// NearRepeatQuery selects the events and the test's set-up.
type NearRepeatQuery struct {
	Query
	Params risk.KnoxParams
}

// KnoxCellJSON is one cell of the Knox table.
type KnoxCellJSON struct {
	Space    string   `json:"space"` // "0 m", "1–100 m", "> 500 m"
	Time     string   `json:"time"`  // "0–7 dagar", "> 28 dagar"
	SpaceToM *float64 `json:"space_to_m"`
	TimeTo   *int     `json:"time_to_days"`
	Observed int      `json:"observed"`
	Expected float64  `json:"expected"`
	// Ratio is the Knox ratio observed/expected; nil when nothing is expected.
	Ratio *float64 `json:"ratio"`
	P     float64  `json:"p"`
	// Significant is p ≤ 0.05 with a ratio above 1 (more pairs than chance: a near repeat).
	Significant bool `json:"significant"`
}

// NearRepeat is a Knox test of one group's exact incidents in an area or a kommun.
type NearRepeat struct {
	Area   *AreaJSON        `json:"area,omitempty"`
	Kommun string           `json:"kommun_code,omitempty"`
	Group  string           `json:"group"`
	Label  string           `json:"label"`
	Period PeriodJSON       `json:"period"`
	Events int              `json:"events"`
	Pairs  int              `json:"pairs"`
	Params KnoxParamsJSON   `json:"parameters"`
	Cells  [][]KnoxCellJSON `json:"cells"` // [space band][time band]
	Reason string           `json:"reason,omitempty"`
	Notes  []string         `json:"notes"`
}

// KnoxParamsJSON is the set-up as the API shows it.
type KnoxParamsJSON struct {
	SpaceBandM   float64 `json:"space_band_m"`
	SpaceBands   int     `json:"space_bands"`
	TimeBandDays int     `json:"time_band_days"`
	TimeBands    int     `json:"time_bands"`
	Permutations int     `json:"permutations"`
	Seed         uint64  `json:"seed"`
}

// AreaNearRepeat runs the Knox test on an area's exact incidents of one group.
func (s *Service) AreaNearRepeat(ctx context.Context, areaID string, q NearRepeatQuery) (*NearRepeat, error) {
	if err := s.checkNearRepeat(q); err != nil {
		return nil, err
	}
	a, err := s.store.AnalysisArea(ctx, areaID)
	if err != nil {
		return nil, fmt.Errorf("analysis: area %s: %w", areaID, err)
	}
	nr, err := s.nearRepeat(ctx, areaID, "", q)
	if err != nil {
		return nil, err
	}
	aj := areaJSON(a)
	nr.Area = &aj
	return nr, nil
}

// KommunNearRepeat runs the Knox test on a kommun's exact incidents of one group.
func (s *Service) KommunNearRepeat(ctx context.Context, kommun string, q NearRepeatQuery) (*NearRepeat, error) {
	if err := s.checkNearRepeat(q); err != nil {
		return nil, err
	}
	nr, err := s.nearRepeat(ctx, "", kommun, q)
	if err != nil {
		return nil, err
	}
	nr.Kommun = kommun
	return nr, nil
}

func (s *Service) checkNearRepeat(q NearRepeatQuery) error {
	if err := s.checkGroup(q.Group, true); err != nil {
		return err
	}
	return risk.CheckKnoxParams(q.Params)
}

func (s *Service) nearRepeat(ctx context.Context, areaID, kommun string, q NearRepeatQuery) (*NearRepeat, error) {
	p, err := s.period(ctx, q.Query)
	if err != nil {
		return nil, err
	}
	events, err := s.store.Events(ctx, areaID, kommun, q.Group, p)
	if err != nil {
		return nil, fmt.Errorf("analysis: events: %w", err)
	}
	kp := q.Params
	out := &NearRepeat{Group: q.Group, Label: groupLabel(q.Group), Period: periodJSON(p), Events: len(events),
		Params: KnoxParamsJSON{kp.SpaceBandM, kp.SpaceBands, kp.TimeBandDays, kp.TimeBands, kp.Permutations, kp.Seed},
		Cells:  [][]KnoxCellJSON{},
		Notes: []string{
			"Knox-test med Monte Carlo-permutationer (Ratcliffe, Near Repeat Calculator): platserna hålls fasta och " +
				"dagarna blandas om. p = rang/(permutationer + 1); samma seed ger samma resultat.",
			"Endast händelser med exakt position. Avstånd i SWEREF 99 TM (meter), tid i hela dagar.",
		}}
	if len(events) < risk.MinRateCount {
		out.Reason = risk.ReasonFewEvents
		return out, nil
	}
	ke := make([]risk.KnoxEvent, len(events))
	for i, e := range events {
		ke[i] = risk.KnoxEvent{X: e.X, Y: e.Y, Day: int(e.Day.Unix() / 86400)}
	}
	k, err := risk.KnoxTest(ke, kp)
	if err != nil {
		return nil, err
	}
	out.Pairs = k.Pairs
	for r := range k.Rows {
		row := make([]KnoxCellJSON, k.Cols)
		for c := range k.Cols {
			cell := k.Cell(r, c)
			j := KnoxCellJSON{Space: spaceLabel(cell), Time: timeLabel(cell), Observed: cell.Observed,
				Expected: math.Round(cell.Expected*1000) / 1000, P: cell.P}
			if !math.IsInf(cell.SpaceToM, 1) {
				v := cell.SpaceToM
				j.SpaceToM = &v
			}
			if cell.TimeToDays >= 0 {
				v := cell.TimeToDays
				j.TimeTo = &v
			}
			if !math.IsNaN(cell.Ratio) {
				v := math.Round(cell.Ratio*1000) / 1000
				j.Ratio = &v
				j.Significant = cell.P <= 0.05 && cell.Ratio > 1
			}
			row[c] = j
		}
		out.Cells = append(out.Cells, row)
	}
	return out, nil
}

func spaceLabel(c risk.KnoxCell) string {
	switch {
	case c.SpaceToM == 0:
		return "samma plats"
	case math.IsInf(c.SpaceToM, 1):
		return fmt.Sprintf("> %g m", c.SpaceFromM)
	}
	return fmt.Sprintf("%g–%g m", c.SpaceFromM, c.SpaceToM)
}

func timeLabel(c risk.KnoxCell) string {
	switch {
	case c.TimeToDays < 0:
		return fmt.Sprintf("> %d dagar", c.TimeFromDays)
	case c.TimeFromDays < 0:
		return fmt.Sprintf("0–%d dagar", c.TimeToDays)
	}
	return fmt.Sprintf("%d–%d dagar", c.TimeFromDays+1, c.TimeToDays)
}
