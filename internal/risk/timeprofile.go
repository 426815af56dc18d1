package risk

// ProfileSlots is the number of weekday × hour slots of a time profile: 7 days of 24 hours,
// Monday 00–01 first (slot = 24·weekday + hour, weekday 0 = Monday).
const ProfileSlots = 7 * 24

// ProfileSuppression says which numbers of a set of time profiles must be hidden.
type ProfileSuppression struct {
	// Slots[g][s] hides slot s of group g's profile; Total the slots of the total profile.
	Slots [][ProfileSlots]bool
	Total [ProfileSlots]bool
	// GroupTotals[g] hides group g's count over all slots; All the count of everything.
	GroupTotals []bool
	All         bool
}

// SuppressProfiles applies the small-count rules to the weekday × hour profiles of the
// category groups of one area (counts[g][slot]) and to their total, which is the sum over
// every group, sensitive ones included.
//
// The numbers form linked tables: each group's slots add up to the group's count, the total's
// slots add up to everything, each slot of the total is the sum of that slot over the groups,
// and the group counts add up to everything. A hidden number must not be recoverable by
// subtraction along any of them, so the primary rule (SuppressCount: 1–4 hidden) is followed
// by a secondary rule on every one of these tables — no table may have exactly one hidden
// number, counting its total; the extra one is the smallest shown non-zero part, as in
// SecondarySuppress, or the total — repeated until nothing changes (each round only adds
// hidden numbers, so it ends). This is the usual heuristic of statistical offices, not a full
// audit of the linear system: a hidden number could in principle still be narrowed down by
// combining several tables. A sensitive group
// (sensitive[g]) with any event counts as hidden in every table it is part of, so that the
// total's slots never reveal it by subtraction; its own numbers are marked hidden and must
// never be shown by the caller.
func SuppressProfiles(counts [][ProfileSlots]int, sensitive []bool) (ProfileSuppression, error) {
	const op = "time profile suppression"
	if len(sensitive) != len(counts) {
		return ProfileSuppression{}, invalid(op, "sensitive", "%d flags for %d groups", len(sensitive), len(counts))
	}
	ng := len(counts)
	var total [ProfileSlots]int
	groupTotals := make([]int, ng)
	all := 0
	for g := range counts {
		for s, n := range counts[g] {
			if err := checkCount(op, "counts", n); err != nil {
				return ProfileSuppression{}, err
			}
			if n > MaxCount {
				return ProfileSuppression{}, invalid(op, "counts", "%d is above %d", n, MaxCount)
			}
			total[s] += n
			groupTotals[g] += n
			all += n
		}
	}
	sup := ProfileSuppression{Slots: make([][ProfileSlots]bool, ng), GroupTotals: make([]bool, ng)}
	for g := range counts {
		for s, n := range counts[g] {
			_, hide := SuppressCount(n)
			sup.Slots[g][s] = hide || (sensitive[g] && n > 0)
		}
		_, hide := SuppressCount(groupTotals[g])
		sup.GroupTotals[g] = hide || (sensitive[g] && groupTotals[g] > 0)
	}
	for s, n := range total {
		_, sup.Total[s] = SuppressCount(n)
	}
	_, sup.All = SuppressCount(all)

	// apply makes one table (tot = Σ parts) safe: when exactly one of its numbers is hidden it
	// could be recovered by subtraction, so one more is hidden — the smallest non-zero part that
	// is shown (SecondarySuppress's choice), or the total when every other part is 0. It
	// reports whether it hid anything new.
	apply := func(tot int, totHidden *bool, parts []int, hidden []*bool) bool {
		unknown := 0
		if *totHidden {
			unknown++
		}
		for _, h := range hidden {
			if *h {
				unknown++
			}
		}
		if unknown != 1 {
			return false
		}
		pick := -1
		for i, h := range hidden {
			if !*h && parts[i] > 0 && (pick < 0 || parts[i] < parts[pick]) {
				pick = i
			}
		}
		switch {
		case pick >= 0:
			*hidden[pick] = true
		case !*totHidden:
			*totHidden = true
		default:
			return false // the total is hidden and every part is 0: nothing is hidden that matters
		}
		return true
	}
	parts := make([]int, max(ng, ProfileSlots))
	hidden := make([]*bool, max(ng, ProfileSlots))
	for changed := true; changed; {
		changed = false
		// Each group's slots against the group's count.
		for g := range counts {
			for s := range ProfileSlots {
				parts[s], hidden[s] = counts[g][s], &sup.Slots[g][s]
			}
			changed = apply(groupTotals[g], &sup.GroupTotals[g], parts[:ProfileSlots], hidden[:ProfileSlots]) || changed
		}
		// The total's slots against everything.
		for s := range ProfileSlots {
			parts[s], hidden[s] = total[s], &sup.Total[s]
		}
		changed = apply(all, &sup.All, parts[:ProfileSlots], hidden[:ProfileSlots]) || changed
		// Each slot of the total against the groups' same slot.
		for s := range ProfileSlots {
			for g := range counts {
				parts[g], hidden[g] = counts[g][s], &sup.Slots[g][s]
			}
			changed = apply(total[s], &sup.Total[s], parts[:ng], hidden[:ng]) || changed
		}
		// The groups' counts against everything.
		for g := range counts {
			parts[g], hidden[g] = groupTotals[g], &sup.GroupTotals[g]
		}
		changed = apply(all, &sup.All, parts[:ng], hidden[:ng]) || changed
	}
	return sup, nil
}
