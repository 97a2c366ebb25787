package graphql

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/graphql-go/graphql"
)

// Geometry and geography values are GeoJSON, as in Hasura. Postgres's
// geometry input does not read GeoJSON, so a bound value is converted with
// ST_GeomFromGeoJSON. Hasura parses GeoJSON itself before the database sees
// it and rejects malformed shapes with parse-failed at the offending member;
// checkGeoJSON reproduces those checks.

func isGeoType(typname string) bool { return typname == "geometry" || typname == "geography" }

// geoFromParam is the SQL reading bind parameter p (GeoJSON text) as typ.
func geoFromParam(p string, typ pgType) string {
	expr := "ST_GeomFromGeoJSON(" + p + "::text)"
	if typ.Name == "geography" {
		return expr + "::" + typ.sql()
	}
	return expr
}

// checkGeoJSONInput walks a variable's value along its declared type and
// validates every geometry/geography value in it; variable names it. The
// error's path is built only when there is one (this runs per request).
func checkGeoJSONInput(t graphql.Input, v any, variable string) error {
	if rel, msg := geoJSONIn(t, v); msg != "" {
		return &queryError{Code: "parse-failed", Path: "$.variableValues." + variable + rel, Message: msg}
	}
	return nil
}

// geoJSONIn is checkGeoJSONInput's walk: the offending value's path
// relative to v and the message, or "" "".
func geoJSONIn(t graphql.Input, v any) (string, string) {
	if v == nil {
		return "", ""
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return geoJSONIn(t.OfType.(graphql.Input), v)
	case *graphql.List:
		inner := t.OfType.(graphql.Input)
		list, ok := v.([]any)
		if !ok {
			return geoJSONIn(inner, v)
		}
		for i, x := range list {
			if rel, msg := geoJSONIn(inner, x); msg != "" {
				return "[" + strconv.Itoa(i) + "]" + rel, msg
			}
		}
	case *graphql.Scalar:
		if isGeoType(t.Name()) {
			return checkGeoJSON(v)
		}
	case *graphql.InputObject:
		obj, ok := v.(object)
		if !ok {
			return "", ""
		}
		fields := t.Fields()
		for _, f := range obj {
			if def, ok := fields[f.Name]; ok {
				if rel, msg := geoJSONIn(def.Type, f.Value); msg != "" {
					return "." + f.Name + rel, msg
				}
			}
		}
	}
	return "", ""
}

// checkGeoJSON validates a GeoJSON geometry: it returns the path of the
// offending member relative to v and a message, or "" "" when v is valid.
// Strings are left to the database (ST_GeomFromGeoJSON reads JSON text).
func checkGeoJSON(v any) (string, string) {
	obj, ok := v.(object)
	if !ok {
		if _, isText := v.(string); isText {
			return "", ""
		}
		return "", "parsing Geometry failed, expected Object"
	}
	tv, ok := obj.get("type")
	if !ok {
		return "", `key "type" not found`
	}
	typ, _ := tv.(string)
	member, check := "coordinates", geoShapes[typ]
	if typ == "GeometryCollection" {
		member = "geometries"
		check = checkGeometries
	}
	if check == nil {
		return "", "unexpected geometry type: " + typ
	}
	m, ok := obj.get(member)
	if !ok {
		return "", fmt.Sprintf("key %q not found", member)
	}
	rel, msg := check(m)
	if msg != "" {
		return "." + member + rel, msg
	}
	return "", ""
}

// geoShapes check the coordinates member of each geometry type.
var geoShapes = map[string]func(any) (string, string){
	"Point":           checkPosition,
	"MultiPoint":      listOf(checkPosition),
	"LineString":      checkLineString,
	"MultiLineString": listOf(checkLineString),
	"Polygon":         listOf(checkLinearRing),
	"MultiPolygon":    listOf(listOf(checkLinearRing)),
}

func checkGeometries(v any) (string, string) { return listOf(checkGeoJSON)(v) }

// listOf checks every element of an array with check.
func listOf(check func(any) (string, string)) func(any) (string, string) {
	return func(v any) (string, string) {
		list, ok := v.([]any)
		if !ok {
			return "", "expected Array"
		}
		for i, x := range list {
			if rel, msg := check(x); msg != "" {
				return "[" + strconv.Itoa(i) + "]" + rel, msg
			}
		}
		return "", ""
	}
}

func checkPosition(v any) (string, string) {
	list, ok := v.([]any)
	if !ok {
		return "", "parsing Position failed, expected Array"
	}
	for i, x := range list {
		if _, ok := x.(json.Number); !ok {
			return "[" + strconv.Itoa(i) + "]", "parsing Double failed, expected Number"
		}
	}
	if len(list) < 2 {
		return "", "A Position needs at least 2 elements"
	}
	return "", ""
}

func checkLineString(v any) (string, string) {
	if rel, msg := listOf(checkPosition)(v); msg != "" {
		return rel, msg
	}
	if len(v.([]any)) < 2 {
		return "", "A LineString needs at least 2 Positions"
	}
	return "", ""
}

// checkLinearRing: a closed ring of at least four positions.
func checkLinearRing(v any) (string, string) {
	if rel, msg := listOf(checkPosition)(v); msg != "" {
		return rel, msg
	}
	ring := v.([]any)
	if len(ring) < 4 {
		return "", "A LinearRing needs at least 4 Positions"
	}
	if !samePosition(ring[0].([]any), ring[len(ring)-1].([]any)) {
		return "", "the first and last locations have to be equal for a LinearRing"
	}
	return "", ""
}

// samePosition compares the first three coordinates numerically (Hasura
// ignores anything past the third).
func samePosition(a, b []any) bool {
	n := min(len(a), 3)
	if min(len(b), 3) != n {
		return false
	}
	for i := 0; i < n; i++ {
		x, _ := a[i].(json.Number).Float64()
		y, _ := b[i].(json.Number).Float64()
		if x != y {
			return false
		}
	}
	return true
}

// extensionComparisons adds the operators of extension types: PostGIS
// raster and ltree.
func (b *schemaBuilder) extensionComparisons(typname string, st graphql.Type, fields graphql.InputObjectConfigFieldMap) {
	switch typname {
	case "raster":
		geom := b.scalar("geometry")
		fields["_st_intersects_rast"] = &graphql.InputObjectFieldConfig{Type: st}
		fields["_st_intersects_geom_nband"] = &graphql.InputObjectFieldConfig{Type: b.rasterInput("st_intersects_geom_nband_input",
			graphql.InputObjectConfigFieldMap{"geommin": {Type: graphql.NewNonNull(geom)}, "nband": {Type: graphql.Int}})}
		fields["_st_intersects_nband_geom"] = &graphql.InputObjectFieldConfig{Type: b.rasterInput("st_intersects_nband_geom_input",
			graphql.InputObjectConfigFieldMap{"geommin": {Type: graphql.NewNonNull(geom)}, "nband": {Type: graphql.NewNonNull(graphql.Int)}})}
	case "ltree":
		b.ltreeComparisons(st, fields)
	}
}

func (b *schemaBuilder) rasterInput(name string, fields graphql.InputObjectConfigFieldMap) *graphql.InputObject {
	if in, ok := b.inputs[name]; ok {
		return in
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields})
	b.inputs[name] = in
	return in
}

// extensionComparison compiles the operators extensionComparisons adds;
// ok is false for any other operator.
func (c *compiler) extensionComparison(lhs string, typ pgType, op string, v any) (sql string, ok bool, err error) {
	switch op {
	case "_st_intersects_rast":
		rhs, err := c.typed(v, pgType{Schema: typ.Schema, Name: "raster"})
		return "ST_Intersects(" + lhs + ", " + rhs + ")", true, err
	case "_st_intersects_geom_nband", "_st_intersects_nband_geom":
		o := asObject(v)
		gv, _ := o.get("geommin")
		nv, _ := o.get("nband")
		geom, err := c.typed(gv, pgType{Schema: typ.Schema, Name: "geometry"})
		if err != nil {
			return "", true, err
		}
		nband, err := c.typed(nv, pgType{Name: "int4"})
		if err != nil {
			return "", true, err
		}
		if op == "_st_intersects_nband_geom" {
			return "ST_Intersects(" + lhs + ", " + nband + ", " + geom + ")", true, nil
		}
		return "ST_Intersects(" + lhs + ", " + geom + ", " + nband + ")", true, nil
	}
	if sqlOp, isLtree := ltreeOps[op]; isLtree {
		sql, err := c.ltreeComparison(lhs, typ, op, sqlOp, v)
		return sql, true, err
	}
	return "", false, nil
}
