package cql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// Canonical writes e in one fixed text form, for cache keys: two trees get the same text only
// when they are the same tree (the same nodes, properties, operators, literal kinds and every
// field of each literal, geometries of the same type with the same coordinates), however the
// filter was written (CQL2 text or JSON, spacing, case of keywords). Numbers keep all their bits
// and times their offset, so equal text never stands for different SQL. ok is false for a node
// or geometry this function does not know: the caller must not share a result for it.
func Canonical(e Expr) (text string, ok bool) {
	var b strings.Builder
	if !writeExpr(&b, e) {
		return "", false
	}
	return b.String(), true
}

func writeExpr(b *strings.Builder, e Expr) bool {
	switch e := e.(type) {
	case *Logical:
		op := "AND("
		if e.Or {
			op = "OR("
		}
		b.WriteString(op)
		for i, a := range e.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			if !writeExpr(b, a) {
				return false
			}
		}
		b.WriteByte(')')
	case *Not:
		b.WriteString("NOT(")
		if !writeExpr(b, e.Arg) {
			return false
		}
		b.WriteByte(')')
	case *Compare:
		b.WriteString("CMP(")
		writeStr(b, e.Prop)
		b.WriteByte(',')
		writeStr(b, e.Op)
		b.WriteByte(',')
		writeLit(b, e.Value)
		b.WriteByte(')')
	case *Like:
		b.WriteString(neg("LIKE(", e.Not))
		writeStr(b, e.Prop)
		b.WriteByte(',')
		writeStr(b, e.Pattern)
		b.WriteByte(')')
	case *In:
		b.WriteString(neg("IN(", e.Not))
		writeStr(b, e.Prop)
		for _, v := range e.Values {
			b.WriteByte(',')
			writeLit(b, v)
		}
		b.WriteByte(')')
	case *Between:
		b.WriteString(neg("BETWEEN(", e.Not))
		writeStr(b, e.Prop)
		b.WriteByte(',')
		writeLit(b, e.Lo)
		b.WriteByte(',')
		writeLit(b, e.Hi)
		b.WriteByte(')')
	case *IsNull:
		b.WriteString(neg("ISNULL(", e.Not))
		writeStr(b, e.Prop)
		b.WriteByte(')')
	case *Intersects:
		b.WriteString("S_INTERSECTS(")
		writeStr(b, e.Prop)
		b.WriteByte(',')
		if !writeGeom(b, e.Geom) {
			return false
		}
		b.WriteByte(')')
	case *Temporal:
		b.WriteString("T(")
		writeStr(b, e.Op)
		b.WriteByte(',')
		writeStr(b, e.Prop)
		for _, l := range []*Literal{e.Start, e.End} {
			b.WriteByte(',')
			if l == nil {
				b.WriteString("..")
			} else {
				writeLit(b, *l)
			}
		}
		b.WriteByte(')')
	default:
		return false
	}
	return true
}

func neg(op string, not bool) string {
	if not {
		return "N" + op
	}
	return op
}

func writeStr(b *strings.Builder, s string) { b.WriteString(strconv.Quote(s)) }

// writeLit writes every field of l, whatever its kind, so that no field a compiler might read
// is left out of the key.
func writeLit(b *strings.Builder, l Literal) {
	b.WriteString("LIT(")
	writeStr(b, string(l.Kind))
	b.WriteByte(',')
	writeStr(b, l.Str)
	b.WriteByte(',')
	writeFloat(b, l.Num)
	b.WriteByte(',')
	b.WriteString(strconv.FormatBool(l.Bool))
	b.WriteByte(',')
	if !l.Time.IsZero() {
		b.WriteString(l.Time.Format(time.RFC3339Nano)) // with its offset
	}
	b.WriteByte(')')
}

// writeFloat writes f so that it parses back to the same bits (strconv's shortest form).
func writeFloat(b *strings.Builder, f float64) { b.WriteString(strconv.FormatFloat(f, 'g', -1, 64)) }

// writeGeom writes g as its Go type and its WKT, orb's encoding (its %g keeps every bit of a
// coordinate); a collection writes each member so, so that a ring or a bound inside it is not
// taken for the polygon WKT spells it as. ok is false for a geometry type it does not know.
func writeGeom(b *strings.Builder, g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Ring, orb.Polygon, orb.MultiPolygon, orb.Bound:
		fmt.Fprintf(b, "%T", g)
		b.WriteString(wkt.MarshalString(g))
	case orb.Collection:
		b.WriteString("COLLECTION(")
		for i, m := range g {
			if i > 0 {
				b.WriteByte(',')
			}
			if !writeGeom(b, m) {
				return false
			}
		}
		b.WriteByte(')')
	default:
		return false
	}
	return true
}
