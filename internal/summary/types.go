package summary

import (
	"github.com/paulmach/orb/geojson"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// Indicator is one published number with its 95 % interval. Value is nil when the number is
// suppressed (a count of 1–4, or a count hidden to protect one) or withheld (too few events or
// residents), and Reason then says why, in Swedish as shown to users.
type Indicator struct {
	Value      *float64 `json:"value"`
	Lower      *float64 `json:"lower"`
	Upper      *float64 `json:"upper"`
	Suppressed bool     `json:"suppressed"`
	Reason     string   `json:"reason,omitempty"`
}

// AreaRef identifies the area a summary is about.
type AreaRef struct {
	ID         string `json:"id"`
	Key        string `json:"area_key"`
	Name       string `json:"name"`
	Class      string `json:"class"`
	Set        int    `json:"set"`
	KommunCode string `json:"kommun_code"`
	KommunName string `json:"kommun_name"`
	RegionCode string `json:"region_code"`
}

// PeriodJSON is a period as published (lagesbild.PeriodJSON).
type PeriodJSON = lagesbild.PeriodJSON

// Population is the area's residents rounded to 10.
type Population struct {
	Value     *int   `json:"value"`
	Estimated bool   `json:"estimated"`
	Reason    string `json:"reason,omitempty"`
}

// Change compares the period with the previous one.
type Change struct {
	Difference  Indicator `json:"difference"`
	Percent     Indicator `json:"percent"`
	P           *float64  `json:"p"`
	Significant *bool     `json:"significant"`
	Suppressed  bool      `json:"suppressed"`
	Reason      string    `json:"reason,omitempty"`
}

// Trend is the Mann-Kendall test over the monthly counts of the period with Sen's slope
// (events per month).
type Trend struct {
	Months      int       `json:"months"`
	Z           *float64  `json:"z"`
	P           *float64  `json:"p"`
	SenSlope    Indicator `json:"sen_slope_per_month"`
	Significant *bool     `json:"significant"`
	Suppressed  bool      `json:"suppressed"`
	Reason      string    `json:"reason,omitempty"`
}

// GroupSummary holds the indicators of one category group, or of all groups together.
type GroupSummary struct {
	Group            string    `json:"group"`
	Label            string    `json:"label"`
	Count            Indicator `json:"count"`
	PreviousCount    Indicator `json:"previous_count"`
	Rate             Indicator `json:"rate_per_1000"`
	SmoothedRate     Indicator `json:"smoothed_rate_per_1000"`
	RateRatio        Indicator `json:"rate_ratio_rest_of_kommun"`
	LocationQuotient Indicator `json:"location_quotient"`
	Change           Change    `json:"change"`
	Trend            Trend     `json:"trend"`
}

// HotSpots is the share of the area's res-8 cells that Gi* over the kommun grid calls hot, for
// all groups together and, in the summary of a single area, for each group that is not
// sensitive.
type HotSpots struct {
	Resolution  int      `json:"resolution"`
	AreaCells   int      `json:"area_cells"`
	KommunCells int      `json:"kommun_cells"`
	Share90     *float64 `json:"share_90"`
	Share95     *float64 `json:"share_95"`
	Share99     *float64 `json:"share_99"`
	Reason      string   `json:"reason,omitempty"`
	// Groups are the shares of each group on the same kommun grid, in the order of the
	// summary's groups. Only the summary of one area has them (nil in lists, which rank by
	// the total alone).
	Groups []GroupHotSpots `json:"groups,omitempty"`
	// Cells are the area's hot res-8 cells as a GeoJSON FeatureCollection of H3 polygons, with
	// properties h3 (the cell, hexadecimal), z (Gi*'s z-score), p (its Benjamini–Hochberg
	// adjusted p-value) and level (the confidence it reaches: 90, 95 or 99), and no counts.
	// Only the summary of one area has them, and only when the shares are computed (empty
	// when no cell is hot).
	Cells *geojson.FeatureCollection `json:"cells,omitempty"`
}

// GroupHotSpots is the share of the area's res-8 cells that Gi* over the kommun grid of one
// category group's counts calls hot at 90, 95 and 99 % (Benjamini–Hochberg). The shares are
// withheld, with a reason, when the group has too few events in the area or the kommun for a
// stable statistic.
type GroupHotSpots struct {
	Group   string    `json:"group"`
	Label   string    `json:"label"`
	Share90 Indicator `json:"share_90"`
	Share95 Indicator `json:"share_95"`
	Share99 Indicator `json:"share_99"`
}

// AgencyPresence says how one agency is present in or near the area.
type AgencyPresence struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Office    bool   `json:"office"`
	Operation bool   `json:"operation"`
}

// Presence is the agencies' presence in or near the area.
type Presence struct {
	OfficeDistanceM float64          `json:"office_distance_m"`
	Agencies        []AgencyPresence `json:"agencies"`
	// AgenciesPresent counts the agencies with an office or an operation.
	AgenciesPresent int `json:"agencies_present"`
	// StaffedHours is office staffed hours per week per 1,000 residents.
	StaffedHours Indicator `json:"staffed_hours_per_week_per_1000"`
	// OperationHours is operation person-hours within the period per 1,000 residents, each
	// operation's hours spread evenly over its days.
	OperationHours Indicator `json:"operation_person_hours_per_1000"`
	// HoursPerWeek is both together per week per 1,000 residents: the presence indicator
	// whose negation is the presence_gap component.
	HoursPerWeek           Indicator `json:"presence_hours_per_week_per_1000"`
	LastOperation          *string   `json:"last_operation"`
	DaysSinceLastOperation *int      `json:"days_since_last_operation"`
}

// ProvenanceJSON says where the numbers come from.
type ProvenanceJSON struct {
	Sources             []string `json:"sources"`
	Agencies            []string `json:"agencies"`
	Synthetic           bool     `json:"synthetic"`
	PopulationEstimated bool     `json:"population_estimated"`
}

// Summary is the risk summary of one area over one period.
type Summary struct {
	Area       AreaRef        `json:"area"`
	Period     PeriodJSON     `json:"period"`
	Previous   PeriodJSON     `json:"previous_period"`
	Population Population     `json:"population"`
	Total      GroupSummary   `json:"total"`
	Groups     []GroupSummary `json:"groups"`
	// SensitiveGroups are counted in Total but never shown on their own.
	SensitiveGroups []string       `json:"sensitive_groups"`
	HotSpots        HotSpots       `json:"hot_spots"`
	Presence        Presence       `json:"presence"`
	History         []HistoryEntry `json:"classification_history,omitempty"`
	// Comparisons are the CompStat comparisons of the area, all ending on the period's last
	// day: first the period itself (preset "period") against the previous period and the same
	// dates a year earlier, then the last 28 days, 3 months and the year to date. Only the
	// summary of one area has them.
	Comparisons []ComparisonSet `json:"comparisons,omitempty"`
	Provenance  ProvenanceJSON  `json:"provenance"`
	// Monthly is the total per month of the period, suppressed as counts; for the report's
	// chart.
	Monthly []MonthPoint `json:"monthly"`
	Notes   []string     `json:"notes"`

	// violent carries the violent groups' indicators for the prioritisation.
	violent violentIndicators
}

// MonthPoint is one month of the total series.
type MonthPoint struct {
	Month string    `json:"month"` // YYYY-MM
	Count Indicator `json:"count"`
}

// Row is one area of GET /summaries: the key indicators.
type Row struct {
	Area          AreaRef    `json:"area"`
	Population    Population `json:"population"`
	Count         Indicator  `json:"count"`
	PreviousCount Indicator  `json:"previous_count"`
	Rate          Indicator  `json:"rate_per_1000"`
	SmoothedRate  Indicator  `json:"smoothed_rate_per_1000"`
	RateRatio     Indicator  `json:"rate_ratio_rest_of_kommun"`
	ChangePercent Indicator  `json:"change_percent"`
	Trend         Trend      `json:"trend"`
	// ViolentCount and ViolentRate are the violent groups together (EB smoothed).
	ViolentCount   Indicator `json:"violent_count"`
	ViolentRate    Indicator `json:"violent_smoothed_rate_per_1000"`
	HotSpotShare95 *float64  `json:"hotspot_share_95"`
	PresenceHours  Indicator `json:"presence_hours_per_week_per_1000"`
	Synthetic      bool      `json:"synthetic"`
}

// List is the summaries of the areas of one list.
type List struct {
	Set    int        `json:"set"`
	Region string     `json:"region,omitempty"`
	Period PeriodJSON `json:"period"`
	Rows   []Row      `json:"areas"`
	Notes  []string   `json:"notes"`
}

// PriorityArea is one area of the ranking.
type PriorityArea struct {
	Rank  int      `json:"rank"`
	Area  AreaRef  `json:"area"`
	Score *float64 `json:"score"`
	// Components are the normalised components (null when missing for the area).
	Components map[string]*float64 `json:"components"`
	// Contributions add up to Score.
	Contributions map[string]float64 `json:"contributions"`
	// Indicators are the raw values before normalisation (null when withheld).
	Indicators map[string]*float64 `json:"indicators"`
	Reasons    map[string]string   `json:"reasons,omitempty"`
	// Omitted lists, in the order of Components, the components the area has no value for
	// and so was ranked without (the weights of the others rescaled), each with the reason;
	// an empty list when the area was ranked on all of them.
	Omitted []OmittedComponent `json:"omitted_components"`
}

// OmittedComponent is a prioritisation component left out of one area's score.
type OmittedComponent struct {
	Component string `json:"component"`
	Reason    string `json:"reason"`
	// NeedsPopulation is true for the components that need residents (PopulationComponents):
	// importing population (or DeSO boundaries) would bring them in.
	NeedsPopulation bool `json:"needs_population"`
}

// Priority is the joint prioritisation of the areas of one list.
type Priority struct {
	Set           int                `json:"set"`
	Region        string             `json:"region,omitempty"`
	Period        PeriodJSON         `json:"period"`
	Weights       map[string]float64 `json:"weights"`
	Normalization string             `json:"normalization"`
	// Profile names the saved weighting used, if one was.
	Profile string         `json:"profile,omitempty"`
	Areas   []PriorityArea `json:"areas"`
	Notes   []string       `json:"notes"`
}
