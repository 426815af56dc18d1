package auth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

var (
	regionCode = regexp.MustCompile(`^5[1-7]00$`)
	lpoCode    = regexp.MustCompile(`^5[1-7][0-9]{4}$`)
)

// Directory resolves the names of police regions and lokalpolisområden to Polisen's codes.
type Directory interface {
	// PoliceUnits returns every region (REGIONKOD → name) and lokalpolisområde
	// (OMRADESKOD → name) the service knows.
	PoliceUnits(ctx context.Context) (regions, lpos map[string]string, err error)
}

// ParseScope reads a scope as written on the command line, in a token or in a JWT claim:
// "all", or a comma-separated list of REGIONKOD (5100…5700), OMRADESKOD (six digits, e.g.
// 540210) or their names ("Region Öst", "Linköping"), optionally prefixed "region:" or "lpo:"
// and joined by ";". Unknown codes and names are errors naming the item.
func ParseScope(ctx context.Context, s string, dir Directory) (Scope, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Scope{}, lagesbild.Invalid("scope", "is empty (give all, a REGIONKOD, an OMRADESKOD or their names)")
	}
	if strings.EqualFold(s, "all") || strings.EqualFold(s, "hela landet") {
		return Scope{All: true}, nil
	}
	regions, lpos, err := dir.PoliceUnits(ctx)
	if err != nil {
		return Scope{}, fmt.Errorf("auth: scope: %w", err)
	}
	var sc Scope
	for _, part := range strings.Split(s, ";") {
		kind := ""
		if k, rest, ok := strings.Cut(part, ":"); ok {
			kind, part = strings.ToLower(strings.TrimSpace(k)), rest
			if kind != "region" && kind != "lpo" {
				return Scope{}, lagesbild.Invalid("scope", "unknown kind %q (use region: or lpo:)", k)
			}
		}
		for _, item := range strings.Split(part, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			code, isRegion, err := resolveUnit(item, kind, regions, lpos)
			if err != nil {
				return Scope{}, err
			}
			if isRegion {
				sc.Regions = append(sc.Regions, code)
			} else {
				sc.LPOs = append(sc.LPOs, code)
			}
		}
	}
	slices.Sort(sc.Regions)
	slices.Sort(sc.LPOs)
	sc.Regions, sc.LPOs = slices.Compact(sc.Regions), slices.Compact(sc.LPOs)
	if sc.Empty() {
		return Scope{}, lagesbild.Invalid("scope", "names no region or lokalpolisområde")
	}
	return sc, nil
}

func resolveUnit(item, kind string, regions, lpos map[string]string) (code string, isRegion bool, err error) {
	switch {
	case regionCode.MatchString(item) && kind != "lpo":
		if _, ok := regions[item]; ok {
			return item, true, nil
		}
		return "", false, lagesbild.Invalid("scope", "no police region has REGIONKOD %s", item)
	case lpoCode.MatchString(item) && kind != "region":
		if _, ok := lpos[item]; ok {
			return item, false, nil
		}
		return "", false, lagesbild.Invalid("scope", "no lokalpolisområde has OMRADESKOD %s", item)
	}
	var found []string
	var foundRegion bool
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	if kind != "lpo" {
		for c, n := range regions {
			if norm(n) == norm(item) || norm("Region "+n) == norm(item) || norm(strings.TrimPrefix(n, "Region ")) == norm(item) {
				found, foundRegion = append(found, c), true
			}
		}
	}
	if len(found) == 0 && kind != "region" {
		for c, n := range lpos {
			if norm(n) == norm(item) || norm("LPO "+n) == norm(item) {
				found = append(found, c)
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], foundRegion, nil
	case 0:
		return "", false, lagesbild.Invalid("scope", "%q is neither a known police region nor a lokalpolisområde (code or name)", item)
	}
	slices.Sort(found)
	return "", false, lagesbild.Invalid("scope", "%q is ambiguous (%s): give the code", item, strings.Join(found, ", "))
}
