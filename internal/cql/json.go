package cql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ParseJSON parses a CQL2 JSON filter against the queryables. Errors name the place as a path
// such as filter.args[1].op.
func ParseJSON(src []byte, q Queryables) (Expr, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(src))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, &Error{Path: "filter", Msg: "not JSON: " + err.Error()}
	}
	if d.More() {
		return nil, &Error{Path: "filter", Msg: "more than one JSON value"}
	}
	return (&jsonParser{q: q}).expr(v, "filter", 0)
}

type jsonParser struct{ q Queryables }

func (p *jsonParser) errAt(path string) checker {
	return checker{q: p.q, errAt: func(f string, a ...any) error { return &Error{Path: path, Msg: fmt.Sprintf(f, a...)} }}
}

func jerr(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) expr(v any, path string, depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, jerr(path, "the filter nests deeper than %d levels", maxDepth)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if b, isBool := v.(bool); isBool {
			// A boolean literal is a predicate of its own: true matches everything.
			if b {
				return &Logical{Args: nil}, nil
			}
			return &Not{Arg: &Logical{Args: nil}}, nil
		}
		return nil, jerr(path, "expected an object with op and args")
	}
	opv, ok := obj["op"].(string)
	if !ok {
		return nil, jerr(path+".op", "missing or not a string")
	}
	args, ok := obj["args"].([]any)
	if !ok {
		return nil, jerr(path+".args", "missing or not an array")
	}
	for k := range obj {
		if k != "op" && k != "args" {
			return nil, jerr(path+"."+k, "unknown member")
		}
	}
	argPath := func(i int) string { return fmt.Sprintf("%s.args[%d]", path, i) }
	n := func(want int) error {
		if len(args) != want {
			return jerr(path+".args", "%s takes %d arguments, not %d", opv, want, len(args))
		}
		return nil
	}
	op := strings.ToLower(opv)
	switch op {
	case "and", "or":
		if len(args) < 2 {
			return nil, jerr(path+".args", "%s takes 2 or more arguments", opv)
		}
		out := &Logical{Or: op == "or"}
		for i, a := range args {
			e, err := p.expr(a, argPath(i), depth+1)
			if err != nil {
				return nil, err
			}
			out.Args = append(out.Args, e)
		}
		return out, nil
	case "not":
		if err := n(1); err != nil {
			return nil, err
		}
		e, err := p.expr(args[0], argPath(0), depth+1)
		if err != nil {
			return nil, err
		}
		return &Not{Arg: e}, nil
	case "=", "<>", "<", "<=", ">", ">=":
		if err := n(2); err != nil {
			return nil, err
		}
		name, t, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		lit, err := p.literal(args[1], argPath(1), name, t)
		if err != nil {
			return nil, err
		}
		return &Compare{Prop: name, Op: op, Value: lit}, nil
	case "like":
		if err := n(2); err != nil {
			return nil, err
		}
		name, t, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		if t != String {
			return nil, jerr(argPath(0), "like needs a string property; %s is of type %s", name, t)
		}
		s, ok := args[1].(string)
		if !ok {
			return nil, jerr(argPath(1), "the pattern must be a string")
		}
		if msg := likeProblem(s); msg != "" {
			return nil, jerr(argPath(1), "%s", msg)
		}
		return &Like{Prop: name, Pattern: s}, nil
	case "between":
		if err := n(3); err != nil {
			return nil, err
		}
		name, t, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		lo, err := p.literal(args[1], argPath(1), name, t)
		if err != nil {
			return nil, err
		}
		hi, err := p.literal(args[2], argPath(2), name, t)
		if err != nil {
			return nil, err
		}
		return &Between{Prop: name, Lo: lo, Hi: hi}, nil
	case "in":
		if err := n(2); err != nil {
			return nil, err
		}
		name, t, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		list, ok := args[1].([]any)
		if !ok || len(list) == 0 {
			return nil, jerr(argPath(1), "in takes a non-empty array of values")
		}
		out := &In{Prop: name}
		for i, v := range list {
			lit, err := p.literal(v, fmt.Sprintf("%s[%d]", argPath(1), i), name, t)
			if err != nil {
				return nil, err
			}
			out.Values = append(out.Values, lit)
		}
		return out, nil
	case "isnull":
		if err := n(1); err != nil {
			return nil, err
		}
		name, _, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		return &IsNull{Prop: name}, nil
	case "s_intersects":
		if err := n(2); err != nil {
			return nil, err
		}
		name, _, err := p.property(args[0], argPath(0), true)
		if err != nil {
			return nil, err
		}
		g, err := geometryJSON(args[1], argPath(1))
		if err != nil {
			return nil, err
		}
		return &Intersects{Prop: name, Geom: g}, nil
	}
	if top, ok := isTemporalOp(op); ok {
		if err := n(2); err != nil {
			return nil, err
		}
		name, t, err := p.property(args[0], argPath(0), false)
		if err != nil {
			return nil, err
		}
		start, end, err := temporalJSON(args[1], argPath(1))
		if err != nil {
			return nil, err
		}
		if err := p.errAt(argPath(0)).temporal(top, name, t, start, end); err != nil {
			return nil, err
		}
		return &Temporal{Op: top, Prop: name, Start: start, End: end}, nil
	}
	return nil, jerr(path+".op", "%q is not an operator offered (and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, s_intersects, t_after, t_before, t_disjoint, t_equals, t_intersects)", clip(opv))
}

// property reads {"property": name}; geometry says whether a geometry property is wanted.
func (p *jsonParser) property(v any, path string, geometry bool) (string, Type, error) {
	obj, ok := v.(map[string]any)
	name, isStr := obj["property"].(string)
	if !ok || !isStr || len(obj) != 1 {
		return "", "", jerr(path, `expected a property reference {"property": "<name>"}`)
	}
	t, err := p.errAt(path).prop(name)
	if err != nil {
		return "", "", err
	}
	if geometry != (t == Geometry) {
		if geometry {
			return "", "", jerr(path, "s_intersects needs a geometry property; %s is of type %s", name, t)
		}
		return "", "", jerr(path, "%s is a geometry; use s_intersects", name)
	}
	return name, t, nil
}

func (p *jsonParser) literal(v any, path, prop string, t Type) (Literal, error) {
	var lit Literal
	switch x := v.(type) {
	case string:
		lit = Literal{Kind: String, Str: x}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return lit, jerr(path, "%q is not a number", clip(x.String()))
		}
		lit = Literal{Kind: Number, Num: f}
	case bool:
		lit = Literal{Kind: Boolean, Bool: x}
	case map[string]any:
		var err error
		if d, ok := x["date"].(string); ok && len(x) == 1 {
			lit, err = timeLiteral("DATE", d)
		} else if ts, ok := x["timestamp"].(string); ok && len(x) == 1 {
			lit, err = timeLiteral("TIMESTAMP", ts)
		} else {
			return lit, jerr(path, `expected a value: a string, a number, a boolean, {"date": ...} or {"timestamp": ...}`)
		}
		if err != nil {
			return lit, jerr(path, "%s", err.Error())
		}
	default:
		return lit, jerr(path, `expected a value: a string, a number, a boolean, {"date": ...} or {"timestamp": ...}`)
	}
	return lit, p.errAt(path).literal(prop, t, lit)
}

// geometryJSON reads a GeoJSON geometry or {"bbox": [minx, miny, maxx, maxy]}.
func geometryJSON(v any, path string) (orb.Geometry, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, jerr(path, "expected a GeoJSON geometry or a bbox object")
	}
	if b, ok := obj["bbox"].([]any); ok && len(obj) == 1 {
		if len(b) != 4 {
			return nil, jerr(path+".bbox", "takes 4 numbers, not %d", len(b))
		}
		var f [4]float64
		for i, x := range b {
			n, ok := x.(json.Number)
			if !ok {
				return nil, jerr(fmt.Sprintf("%s.bbox[%d]", path, i), "not a number")
			}
			var err error
			if f[i], err = n.Float64(); err != nil {
				return nil, jerr(fmt.Sprintf("%s.bbox[%d]", path, i), "not a number")
			}
		}
		if f[0] > f[2] || f[1] > f[3] {
			return nil, jerr(path+".bbox", "minimum greater than maximum")
		}
		return orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}.ToPolygon(), nil
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, jerr(path, "%v", err)
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil || g.Coordinates == nil {
		return nil, jerr(path, "not a GeoJSON geometry")
	}
	if msg := checkGeometry(g.Coordinates); msg != "" {
		return nil, jerr(path, "%s", msg)
	}
	return g.Coordinates, nil
}

// temporalJSON reads {"date": ...}, {"timestamp": ...} or {"interval": [start, end]} with ".."
// for an open end.
func temporalJSON(v any, path string) (start, end *Literal, err error) {
	obj, _ := v.(map[string]any)
	if iv, ok := obj["interval"].([]any); ok && len(obj) == 1 {
		if len(iv) != 2 {
			return nil, nil, jerr(path+".interval", "takes 2 ends, not %d", len(iv))
		}
		var ends [2]*Literal
		for i, e := range iv {
			var s string
			switch x := e.(type) {
			case string:
				s = x
			case map[string]any:
				d, okd := x["date"].(string)
				ts, okt := x["timestamp"].(string)
				if okd {
					s = d
				} else if okt {
					s = ts
				}
			}
			if s == ".." {
				continue
			}
			kind := "TIMESTAMP"
			if len(s) == len("2006-01-02") {
				kind = "DATE"
			}
			lit, err := timeLiteral(kind, s)
			if err != nil {
				return nil, nil, jerr(fmt.Sprintf("%s.interval[%d]", path, i), "%s", err.Error())
			}
			ends[i] = &lit
		}
		return ends[0], ends[1], nil
	}
	var lit Literal
	if d, ok := obj["date"].(string); ok && len(obj) == 1 {
		lit, err = timeLiteral("DATE", d)
	} else if ts, ok := obj["timestamp"].(string); ok && len(obj) == 1 {
		lit, err = timeLiteral("TIMESTAMP", ts)
	} else {
		return nil, nil, jerr(path, `expected {"date": ...}, {"timestamp": ...} or {"interval": [start, end]}`)
	}
	if err != nil {
		return nil, nil, jerr(path, "%s", err.Error())
	}
	return &lit, &lit, nil
}
