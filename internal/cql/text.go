package cql

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// maxDepth bounds the nesting of a filter, so a hostile one cannot exhaust the stack.
const maxDepth = 64

type token struct {
	kind string // "ident", "qident", "string", "number", "op", "(", ")", ",", "eof"
	text string
	pos  int // character position, from 1
}

type textParser struct {
	src   string
	toks  []token
	i     int
	depth int
	checker
}

// ParseText parses a CQL2 text filter against the queryables.
func ParseText(src string, q Queryables) (Expr, error) {
	p := &textParser{src: src}
	p.checker = checker{q: q, errAt: p.errAt}
	if err := p.lex(); err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, p.errAtTok(t, "unexpected %s after the end of the filter", describe(t))
	}
	return e, nil
}

func (p *textParser) errAt(format string, args ...any) error {
	t := p.peek()
	if p.i > 0 {
		t = p.toks[p.i-1]
	}
	return p.errAtTok(t, format, args...)
}

func (p *textParser) errAtTok(t token, format string, args ...any) error {
	return &Error{Pos: t.pos, Msg: sprintf(format, args...)}
}

func describe(t token) string {
	switch t.kind {
	case "eof":
		return "end of filter"
	case "string":
		return "string '" + clip(t.text) + "'"
	}
	return "'" + clip(t.text) + "'"
}

// lex splits the source into tokens; positions count characters (runes) from 1.
func (p *textParser) lex() error {
	s := p.src
	pos := 1
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		start := pos
		switch {
		case unicode.IsSpace(r):
			i += w
			pos++
			continue
		case r == '(' || r == ')' || r == ',':
			p.toks = append(p.toks, token{string(r), string(r), start})
			i++
			pos++
			continue
		case r == '=':
			p.toks = append(p.toks, token{"op", "=", start})
			i++
			pos++
			continue
		case r == '<' || r == '>':
			op := string(r)
			if i+1 < len(s) && (s[i+1] == '=' || r == '<' && s[i+1] == '>') {
				op += string(s[i+1])
			}
			p.toks = append(p.toks, token{"op", op, start})
			i += len(op)
			pos += len(op)
			continue
		case r == '\'':
			var b strings.Builder
			j := i + 1
			n := 1
			for {
				if j >= len(s) {
					return &Error{Pos: start, Msg: "a string is not closed with '"}
				}
				c, cw := utf8.DecodeRuneInString(s[j:])
				j += cw
				n++
				if c == '\'' {
					if j < len(s) && s[j] == '\'' {
						b.WriteByte('\'')
						j++
						n++
						continue
					}
					break
				}
				b.WriteRune(c)
			}
			p.toks = append(p.toks, token{"string", b.String(), start})
			i, pos = j, pos+n
			continue
		case r == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return &Error{Pos: start, Msg: `a quoted property name is not closed with "`}
			}
			name := s[i+1 : i+1+j]
			p.toks = append(p.toks, token{"qident", name, start})
			i += j + 2
			pos += utf8.RuneCountInString(name) + 2
			continue
		case r == '-' || r == '+' || r == '.' || r >= '0' && r <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			p.toks = append(p.toks, token{"number", s[i:j], start})
			pos += j - i
			i = j
			continue
		case unicode.IsLetter(r) || r == '_':
			j := i
			n := 0
			for j < len(s) {
				c, cw := utf8.DecodeRuneInString(s[j:])
				if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == ':' || c == '.') {
					break
				}
				j += cw
				n++
			}
			p.toks = append(p.toks, token{"ident", s[i:j], start})
			i, pos = j, pos+n
			continue
		}
		return &Error{Pos: start, Msg: "unexpected character " + strconv.QuoteRune(r)}
	}
	p.toks = append(p.toks, token{"eof", "", pos})
	return nil
}

func (p *textParser) peek() token { return p.toks[p.i] }
func (p *textParser) next() token {
	t := p.toks[p.i]
	if t.kind != "eof" {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the keyword kw (case-insensitive) and takes it.
func (p *textParser) keyword(kw string) bool {
	if t := p.peek(); t.kind == "ident" && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *textParser) expect(kind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, p.errAtTok(t, "expected %s, found %s", what, describe(t))
	}
	return t, nil
}

func (p *textParser) expr() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errAtTok(p.peek(), "the filter nests deeper than %d levels", maxDepth)
	}
	return p.logical(true)
}

// logical parses OR (or) or AND (!or) of the next level's expressions.
func (p *textParser) logical(or bool) (Expr, error) {
	sub := func() (Expr, error) {
		if or {
			return p.logical(false)
		}
		return p.not()
	}
	e, err := sub()
	if err != nil {
		return nil, err
	}
	kw := map[bool]string{true: "OR", false: "AND"}[or]
	args := []Expr{e}
	for p.keyword(kw) {
		e, err := sub()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return &Logical{Or: or, Args: args}, nil
}

func (p *textParser) not() (Expr, error) {
	if p.keyword("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, p.errAtTok(p.peek(), "the filter nests deeper than %d levels", maxDepth)
		}
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{Arg: e}, nil
	}
	return p.primary()
}

func (p *textParser) primary() (Expr, error) {
	t := p.peek()
	if t.kind == "(" {
		p.next()
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")", "')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == "ident" && strings.EqualFold(t.text, "S_INTERSECTS") {
		return p.intersects()
	}
	if op, ok := isTemporalOp(t.text); ok && t.kind == "ident" {
		return p.temporalFn(op)
	}
	return p.predicate()
}

func (p *textParser) intersects() (Expr, error) {
	p.next()
	if _, err := p.expect("(", "'(' after S_INTERSECTS"); err != nil {
		return nil, err
	}
	name, t, err := p.property()
	if err != nil {
		return nil, err
	}
	if t != Geometry {
		return nil, p.errAt("S_INTERSECTS needs a geometry property; %s is of type %s", name, t)
	}
	if _, err := p.expect(",", "','"); err != nil {
		return nil, err
	}
	g, err := p.geometry()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")", "')' closing S_INTERSECTS"); err != nil {
		return nil, err
	}
	return &Intersects{Prop: name, Geom: g}, nil
}

var wktKinds = []string{"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"}

// geometry reads a WKT geometry or BBOX(minx, miny, maxx, maxy).
func (p *textParser) geometry() (orb.Geometry, error) {
	t := p.next()
	if t.kind != "ident" {
		return nil, p.errAtTok(t, "expected a geometry (POINT(...), POLYGON(...), BBOX(...), ...), found %s", describe(t))
	}
	kind := strings.ToUpper(t.text)
	if kind == "BBOX" {
		if _, err := p.expect("(", "'(' after BBOX"); err != nil {
			return nil, err
		}
		var v []float64
		for {
			n, err := p.expect("number", "a number")
			if err != nil {
				return nil, err
			}
			f, err := strconv.ParseFloat(n.text, 64)
			if err != nil {
				return nil, p.errAtTok(n, "%q is not a number", clip(n.text))
			}
			v = append(v, f)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
		if _, err := p.expect(")", "')' closing BBOX"); err != nil {
			return nil, err
		}
		if len(v) != 4 {
			return nil, p.errAtTok(t, "BBOX takes 4 numbers (minx, miny, maxx, maxy), not %d", len(v))
		}
		if v[0] > v[2] || v[1] > v[3] {
			return nil, p.errAtTok(t, "BBOX minimum greater than maximum")
		}
		return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}.ToPolygon(), nil
	}
	known := false
	for _, k := range wktKinds {
		known = known || k == kind
	}
	if !known {
		return nil, p.errAtTok(t, "expected a geometry (POINT(...), POLYGON(...), BBOX(...), ...), found %s", describe(t))
	}
	// The WKT runs to the parenthesis that closes the one after the keyword.
	depth := 0
	end := p.i
	for ; end < len(p.toks); end++ {
		switch p.toks[end].kind {
		case "(":
			depth++
		case ")":
			depth--
		case "eof":
			return nil, p.errAtTok(t, "the %s is not closed with ')'", kind)
		}
		if depth == 0 {
			break
		}
	}
	if p.toks[p.i].kind != "(" {
		return nil, p.errAtTok(p.toks[p.i], "expected '(' after %s", kind)
	}
	startByte := byteOffset(p.src, t.pos)
	endByte := byteOffset(p.src, p.toks[end].pos) + 1
	g, err := wkt.Unmarshal(p.src[startByte:endByte])
	if err != nil {
		return nil, p.errAtTok(t, "the %s is not valid WKT: %v", kind, err)
	}
	if msg := checkGeometry(g); msg != "" {
		return nil, p.errAtTok(t, "%s", msg)
	}
	p.i = end + 1
	return g, nil
}

// byteOffset converts a character position (from 1) into a byte offset of s.
func byteOffset(s string, pos int) int {
	n := 1
	for i := range s {
		if n == pos {
			return i
		}
		n++
	}
	return len(s)
}

// property reads a property name (plain or in double quotes) and looks it up.
func (p *textParser) property() (string, Type, error) {
	t := p.next()
	if t.kind != "ident" && t.kind != "qident" {
		return "", "", p.errAtTok(t, "expected a property name, found %s", describe(t))
	}
	typ, err := p.prop(t.text)
	return t.text, typ, err
}

// operand is a property or a literal.
type operand struct {
	prop string
	typ  Type
	lit  *Literal
	tok  token
}

func (p *textParser) operand() (operand, error) {
	t := p.peek()
	if lit, ok, err := p.literal(); err != nil {
		return operand{}, err
	} else if ok {
		return operand{lit: &lit, tok: t}, nil
	}
	name, typ, err := p.property()
	return operand{prop: name, typ: typ, tok: t}, err
}

// literal reads a literal if one comes next: a string, a number, TRUE/FALSE, DATE('...') or
// TIMESTAMP('...').
func (p *textParser) literal() (Literal, bool, error) {
	t := p.peek()
	switch {
	case t.kind == "string":
		p.next()
		return Literal{Kind: String, Str: t.text}, true, nil
	case t.kind == "number":
		p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || f != f {
			return Literal{}, false, p.errAtTok(t, "%q is not a number", clip(t.text))
		}
		return Literal{Kind: Number, Num: f}, true, nil
	case t.kind == "ident" && (strings.EqualFold(t.text, "TRUE") || strings.EqualFold(t.text, "FALSE")):
		p.next()
		return Literal{Kind: Boolean, Bool: strings.EqualFold(t.text, "TRUE")}, true, nil
	case t.kind == "ident" && (strings.EqualFold(t.text, "DATE") || strings.EqualFold(t.text, "TIMESTAMP")):
		if p.toks[p.i+1].kind != "(" {
			return Literal{}, false, nil // a property called date
		}
		p.next()
		p.next()
		s, err := p.expect("string", "a quoted date or timestamp")
		if err != nil {
			return Literal{}, false, err
		}
		if _, err := p.expect(")", "')'"); err != nil {
			return Literal{}, false, err
		}
		lit, err := timeLiteral(strings.ToUpper(t.text), s.text)
		if err != nil {
			return Literal{}, false, p.errAtTok(s, "%s", err.Error())
		}
		return lit, true, nil
	}
	return Literal{}, false, nil
}

// timeLiteral reads DATE('2025-01-31') or TIMESTAMP('2025-01-31T12:00:00Z').
func timeLiteral(kind, s string) (Literal, error) {
	if kind == "DATE" {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil || d.Year() < 1 {
			return Literal{}, errorf("%q is not a date such as 2025-01-31", clip(s))
		}
		return Literal{Kind: Date, Time: d}, nil
	}
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil || ts.Year() < 1 {
		return Literal{}, errorf("%q is not an RFC 3339 timestamp such as 2025-01-31T12:00:00Z", clip(s))
	}
	return Literal{Kind: Timestamp, Time: ts}, nil
}

func (p *textParser) predicate() (Expr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	negated := false
	if p.keyword("NOT") {
		negated = true
	}
	t := p.peek()
	switch {
	case p.keyword("LIKE"):
		if err := p.needProp(left, "LIKE"); err != nil {
			return nil, err
		}
		if left.typ != String {
			return nil, p.errAtTok(t, "LIKE needs a string property; %s is of type %s", left.prop, left.typ)
		}
		s, err := p.expect("string", "a quoted pattern after LIKE")
		if err != nil {
			return nil, err
		}
		if msg := likeProblem(s.text); msg != "" {
			return nil, p.errAtTok(s, "%s", msg)
		}
		return &Like{Prop: left.prop, Pattern: s.text, Not: negated}, nil
	case p.keyword("BETWEEN"):
		if err := p.needProp(left, "BETWEEN"); err != nil {
			return nil, err
		}
		lo, err := p.needLiteral(left)
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, p.errAtTok(p.peek(), "expected AND in BETWEEN, found %s", describe(p.peek()))
		}
		hi, err := p.needLiteral(left)
		if err != nil {
			return nil, err
		}
		return &Between{Prop: left.prop, Lo: lo, Hi: hi, Not: negated}, nil
	case p.keyword("IN"):
		if err := p.needProp(left, "IN"); err != nil {
			return nil, err
		}
		if _, err := p.expect("(", "'(' after IN"); err != nil {
			return nil, err
		}
		var vals []Literal
		for {
			v, err := p.needLiteral(left)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
		if _, err := p.expect(")", "')' closing the IN list"); err != nil {
			return nil, err
		}
		return &In{Prop: left.prop, Values: vals, Not: negated}, nil
	case negated:
		return nil, p.errAtTok(t, "expected LIKE, BETWEEN or IN after NOT, found %s", describe(t))
	case p.keyword("IS"):
		if err := p.needProp(left, "IS NULL"); err != nil {
			return nil, err
		}
		not := p.keyword("NOT")
		if !p.keyword("NULL") {
			return nil, p.errAtTok(p.peek(), "expected NULL after IS, found %s", describe(p.peek()))
		}
		return &IsNull{Prop: left.prop, Not: not}, nil
	case t.kind == "op":
		p.next()
		right, err := p.operand()
		if err != nil {
			return nil, err
		}
		op := t.text
		switch {
		case left.lit == nil && right.lit != nil:
		case left.lit != nil && right.lit == nil:
			// literal op property: the same comparison seen from the property.
			left, right = right, left
			op = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
		case left.lit == nil:
			return nil, p.errAtTok(right.tok, "a property can only be compared with a literal here, not with %s", right.prop)
		default:
			return nil, p.errAtTok(left.tok, "a comparison needs a property on one side")
		}
		if left.typ == Geometry {
			return nil, p.errAtTok(left.tok, "%s is a geometry; use S_INTERSECTS", left.prop)
		}
		if err := p.literalAt(right.tok, left, *right.lit); err != nil {
			return nil, err
		}
		return &Compare{Prop: left.prop, Op: op, Value: *right.lit}, nil
	}
	return nil, p.errAtTok(t, "expected a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL, found %s", describe(t))
}

func (p *textParser) needProp(o operand, what string) error {
	if o.lit != nil {
		return p.errAtTok(o.tok, "%s needs a property on its left", what)
	}
	if o.typ == Geometry {
		return p.errAtTok(o.tok, "%s is a geometry; use S_INTERSECTS", o.prop)
	}
	return nil
}

func (p *textParser) needLiteral(prop operand) (Literal, error) {
	t := p.peek()
	lit, ok, err := p.literal()
	if err != nil {
		return Literal{}, err
	}
	if !ok {
		return Literal{}, p.errAtTok(t, "expected a literal value, found %s", describe(t))
	}
	return lit, p.literalAt(t, prop, lit)
}

func (p *textParser) literalAt(t token, prop operand, lit Literal) error {
	if err := p.literal2(prop.prop, prop.typ, lit); err != nil {
		return p.errAtTok(t, "%s", err.(*Error).Msg)
	}
	return nil
}

func (p *textParser) literal2(prop string, t Type, v Literal) error {
	return checker{q: p.q, errAt: func(f string, a ...any) error { return &Error{Msg: sprintf(f, a...)} }}.literal(prop, t, v)
}

// temporalFn reads OP(property, DATE(...) | TIMESTAMP(...) | INTERVAL('start', 'end')).
func (p *textParser) temporalFn(op string) (Expr, error) {
	p.next()
	if _, err := p.expect("(", "'(' after "+op); err != nil {
		return nil, err
	}
	name, typ, err := p.property()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(",", "','"); err != nil {
		return nil, err
	}
	var start, end *Literal
	t := p.peek()
	if t.kind == "ident" && strings.EqualFold(t.text, "INTERVAL") {
		p.next()
		if _, err := p.expect("(", "'(' after INTERVAL"); err != nil {
			return nil, err
		}
		var ends [2]*Literal
		for i := range ends {
			if i == 1 {
				if _, err := p.expect(",", "',' between the ends of the interval"); err != nil {
					return nil, err
				}
			}
			s, err := p.expect("string", "a quoted date, timestamp or '..'")
			if err != nil {
				return nil, err
			}
			if s.text == ".." {
				continue
			}
			kind := "TIMESTAMP"
			if len(s.text) == len("2006-01-02") {
				kind = "DATE"
			}
			lit, err := timeLiteral(kind, s.text)
			if err != nil {
				return nil, p.errAtTok(s, "%s", err.Error())
			}
			ends[i] = &lit
		}
		if _, err := p.expect(")", "')' closing INTERVAL"); err != nil {
			return nil, err
		}
		start, end = ends[0], ends[1]
	} else {
		lit, ok, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !ok || (lit.Kind != Date && lit.Kind != Timestamp) {
			return nil, p.errAtTok(t, "%s takes DATE(...), TIMESTAMP(...) or INTERVAL(...), found %s", op, describe(t))
		}
		start, end = &lit, &lit
	}
	if err := p.temporal(op, name, typ, start, end); err != nil {
		return nil, err
	}
	if _, err := p.expect(")", "')' closing "+op); err != nil {
		return nil, err
	}
	return &Temporal{Op: op, Prop: name, Start: start, End: end}, nil
}
