package httpapi

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lagesbild/lagesbild/internal/lagesbild"
)

// checkParams rejects query parameters the endpoint does not know and repeated ones, so a typo
// (?sett=2025) is an error rather than a silently ignored filter.
func checkParams(q url.Values, allowed ...string) error {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			hint := "this endpoint takes no parameters"
			if len(allowed) > 0 {
				hint = "known parameters: " + strings.Join(allowed, ", ")
			}
			return lagesbild.Invalid(name, "unknown parameter (%s)", hint)
		}
		if len(q[name]) > 1 {
			return lagesbild.Invalid(name, "given %d times; give it once", len(q[name]))
		}
	}
	return nil
}

// parseYear parses a list year parameter.
func parseYear(name, s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 2100 || len(s) != 4 {
		return 0, lagesbild.Invalid(name, "%q is not a list year such as 2025", truncate(s, 40))
	}
	return y, nil
}

// truncate keeps echoed client input short in error messages: at most n bytes, cut at a
// character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// truncateChars is truncate counting characters, for names echoed whole up to n characters.
func truncateChars(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}
