package cql

import (
	"fmt"
	"regexp"
	"strings"
)

// Match evaluates a filter against one feature's properties in memory, for collections that
// are computed rather than stored (a property missing from props is null). Numbers are
// float64 or int, strings string, booleans bool. Spatial and temporal functions are not
// evaluated: they give an error naming the function, which the caller reports as a bad filter.
func Match(e Expr, props map[string]any) (bool, error) {
	switch e := e.(type) {
	case *Logical:
		for _, a := range e.Args {
			ok, err := Match(a, props)
			if err != nil {
				return false, err
			}
			if ok == e.Or {
				return ok, nil
			}
		}
		return !e.Or, nil
	case *Not:
		ok, err := Match(e.Arg, props)
		return !ok, err
	case *Compare:
		v, ok := props[e.Prop]
		if !ok || v == nil {
			return false, nil
		}
		c, err := compare(v, e.Value)
		if err != nil {
			return false, fmt.Errorf("%s: %w", e.Prop, err)
		}
		switch e.Op {
		case "=":
			return c == 0, nil
		case "<>":
			return c != 0, nil
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		case ">=":
			return c >= 0, nil
		}
		return false, fmt.Errorf("unknown operator %q", e.Op)
	case *Like:
		s, ok := props[e.Prop].(string)
		if !ok {
			return false, nil
		}
		m := likePattern(e.Pattern).MatchString(s)
		return m != e.Not, nil
	case *In:
		v, ok := props[e.Prop]
		if !ok || v == nil {
			return false, nil
		}
		for _, l := range e.Values {
			c, err := compare(v, l)
			if err != nil {
				return false, fmt.Errorf("%s: %w", e.Prop, err)
			}
			if c == 0 {
				return !e.Not, nil
			}
		}
		return e.Not, nil
	case *Between:
		v, ok := props[e.Prop]
		if !ok || v == nil {
			return false, nil
		}
		lo, err := compare(v, e.Lo)
		if err != nil {
			return false, fmt.Errorf("%s: %w", e.Prop, err)
		}
		hi, err := compare(v, e.Hi)
		if err != nil {
			return false, fmt.Errorf("%s: %w", e.Prop, err)
		}
		return (lo >= 0 && hi <= 0) != e.Not, nil
	case *IsNull:
		v, ok := props[e.Prop]
		return (!ok || v == nil) != e.Not, nil
	case *Intersects:
		return false, fmt.Errorf("S_INTERSECTS is not offered on this collection (use bbox)")
	case *Temporal:
		return false, fmt.Errorf("%s is not offered on this collection", e.Op)
	}
	return false, fmt.Errorf("unknown filter node %T", e)
}

// compare orders a property value against a literal: -1, 0 or 1.
func compare(v any, l Literal) (int, error) {
	switch v := v.(type) {
	case string:
		if l.Kind != String {
			return 0, fmt.Errorf("a text property compared with a %s", l.Kind)
		}
		return strings.Compare(v, l.Str), nil
	case bool:
		if l.Kind != Boolean {
			return 0, fmt.Errorf("a boolean property compared with a %s", l.Kind)
		}
		switch {
		case v == l.Bool:
			return 0, nil
		case !v:
			return -1, nil
		}
		return 1, nil
	case int:
		return compare(float64(v), l)
	case float64:
		if l.Kind != Number && l.Kind != Integer {
			return 0, fmt.Errorf("a number compared with a %s", l.Kind)
		}
		switch {
		case v < l.Num:
			return -1, nil
		case v > l.Num:
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("a property of type %T cannot be compared", v)
}

// likePattern turns a CQL2 LIKE pattern into an anchored regular expression.
func likePattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s:")
	esc := false
	for _, r := range p {
		switch {
		case esc:
			b.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(")$")
	return regexp.MustCompile(b.String())
}
