package demo

import "time"

// Swedish time is CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on the last Sunday of March to
// 01:00 UTC on the last Sunday of October (the EU rule since 1996). It is computed here rather
// than with time.LoadLocation so that the output does not depend on the host's zone database.

func lastSunday(year int, m time.Month) time.Time {
	t := time.Date(year, m+1, 0, 1, 0, 0, 0, time.UTC) // last day of m, 01:00 UTC
	return t.AddDate(0, 0, -int(t.Weekday()))
}

// swedishOffset returns the UTC offset of Swedish time at the instant t.
func swedishOffset(t time.Time) time.Duration {
	t = t.UTC()
	if !t.Before(lastSunday(t.Year(), time.March)) && t.Before(lastSunday(t.Year(), time.October)) {
		return 2 * time.Hour
	}
	return time.Hour
}

// swedishWall returns the Swedish wall-clock time of t, labelled UTC.
func swedishWall(t time.Time) time.Time {
	return t.UTC().Add(swedishOffset(t))
}

// fromSwedishWall returns the instant of a Swedish wall-clock time given as a UTC-labelled time.
// A wall time in the hour skipped in March maps to the hour after it; one in the hour repeated
// in October to its first occurrence.
func fromSwedishWall(wall time.Time) time.Time {
	if t := wall.Add(-2 * time.Hour); swedishOffset(t) == 2*time.Hour {
		return t
	}
	return wall.Add(-time.Hour)
}
