// Package risk scores aggregates: rates with exact intervals, empirical Bayes smoothing, rate
// ratios, location quotients, Getis-Ord Gi* hot spots with false discovery rate control,
// Mann-Kendall trends, period-on-period change, disclosure rules and the joint prioritisation
// score.
//
// Everything here is a pure, deterministic function of counts and populations that the caller
// has already aggregated: no I/O, no database, no clock. That is what lets every number be
// checked against a hand computation or a published table, and what lets the same function
// serve a map tile, a report and a test. The special functions the statistics need (the
// regularized incomplete gamma function and its inverse) are implemented here on top of the
// standard library, so the package has no dependencies beyond it and the domain's error kinds.
//
// Invalid input (negative counts, a population of 0, slices of different lengths, NaN) is an
// error that wraps lagesbild.ErrInvalid; nothing panics. The formulas, default weights and the
// model's limits are described in docs/risk-model.md.
package risk
