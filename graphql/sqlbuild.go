package graphql

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/metadata"
)

// compiler turns one root field into SQL. Every value becomes a bind
// parameter; every identifier goes through quoteIdent.
type compiler struct {
	rs    *roleSchema
	vars  map[string]any
	frags fragments
	nulls *nullMarks
	// inPermission is set while compiling a permission filter: it may
	// reach tables the role cannot read, and nested filters do not apply.
	inPermission bool
	// tables records what the SQL reads (for live-query invalidation);
	// volatile: it also calls functions, which may read anything.
	tables   map[metadata.QualifiedName]bool
	volatile bool
	// cmpTable and cmpAlias are the row a column comparison (_ceq ...) is on.
	cmpTable *metadata.Table
	cmpAlias string
	session  Session
	args     []any
	nAlias   int
	typename map[string]bool // object types whose __typename is asked, for tests
	// reusing: the SQL is compiled for later requests too (sqlcache.go):
	// boundValue operands are recorded in slots, and notReusable is set
	// when a request value is read in a way only a new compile can redo.
	reusing     bool
	slots       []argSlot
	notReusable bool
	// insertOutput: the rows an insert or upsert wrote are returned
	// whatever the role's select filter says, as Hasura returns them.
	insertOutput bool
	// joinable: remote relationship fields may be selected; joins are
	// the ones selected (remotejoin.go), run after the statement.
	joinable bool
	joins    []*remoteJoin
	// subscription: compiling subscription_root fields (a namespace's type
	// is <namespace>_subscription there).
	subscription bool
}

// Session is who runs a request.
type Session = authz.Session

func quoteIdent(s string) string { return metadata.QuoteIdent(s) }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (c *compiler) alias() string {
	c.nAlias++
	return "_" + strconv.Itoa(c.nAlias)
}

// param binds v and returns its placeholder.
func (c *compiler) param(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// textOf renders an input value as the text Postgres parses for any type.
func textOf(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case json.Number:
		return v.String(), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	default:
		b, err := json.Marshal(toJSONValue(v))
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
}

// typed binds v as text cast to the Postgres type, so Postgres parses it
// exactly as it would a literal of that type. The SQL text does not depend
// on v, which is what lets a boundValue's slot be refilled (sqlcache.go).
func (c *compiler) typed(v any, typ pgType) (string, error) {
	if m, ok := v.(missingSessionVar); ok {
		return "", m.err()
	}
	b, isBound := v.(boundValue)
	if isBound {
		v = b.v
	}
	arg, err := bindArg(v, typ)
	if err != nil {
		return "", err
	}
	p := c.param(arg)
	if isBound {
		c.slots = append(c.slots, argSlot{arg: len(c.args) - 1, name: b.name, session: b.session, typ: typ})
	}
	if isGeoType(typ.Name) {
		if rel, msg := checkGeoJSON(v); msg != "" {
			return "", &exprError{rel: rel, qe: &queryError{Code: "parse-failed", Path: "$", Message: msg}}
		}
		return geoFromParam(p, typ), nil
	}
	return p + "::text::" + typ.sql(), nil
}

// arrayLiteral renders a list as a Postgres array literal: {"a","b",NULL}.
func arrayLiteral(list []any) (string, error) {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, x := range list {
		if i > 0 {
			sb.WriteByte(',')
		}
		if inner, ok := x.([]any); ok {
			lit, err := arrayLiteral(inner)
			if err != nil {
				return "", err
			}
			sb.WriteString(lit)
			continue
		}
		t, err := textOf(x)
		if err != nil {
			return "", err
		}
		if t == nil {
			sb.WriteString("NULL")
			continue
		}
		s := t.(string)
		sb.WriteByte('"')
		sb.WriteString(strings.NewReplacer(`\`, `\`, `"`, `"`).Replace(s))
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String(), nil
}

// pgType is a Postgres type reference.
type pgType struct{ Schema, Name string }

func (t pgType) sql() string {
	if t.Schema == "" || t.Schema == "pg_catalog" {
		return quoteIdent(t.Name)
	}
	return quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
}

func columnType(c *metadata.Column) pgType {
	return pgType{Schema: c.Info.TypeSchema, Name: c.Info.TypeName}
}

func col(alias string, c *metadata.Column) string { return alias + "." + quoteIdent(c.Name) }

// outputExpr is how a column's value enters the JSON response, as Hasura
// renders it: bigint as a string, geometry as GeoJSON, the rest as to_json does.
func outputExpr(expr, typname string) string {
	switch typname {
	case "int8":
		return "(" + expr + ")::text"
	case "geometry", "geography":
		return "ST_AsGeoJSON(" + expr + ", 15, 4)::json" // 4: long CRS name, as Hasura
	}
	return expr
}

// rowObject builds a row's JSON object the way Hasura does:
// row_to_json over a one-row sub-select keeps key order, writes compact
// JSON and has no argument limit. Keys longer than Postgres's 63-byte
// identifier limit fall back to json_build_object. Aggregates must not use
// it: an aggregate inside the sub-select would bind to the sub-select.
func rowObject(keys, vals []string) string {
	if len(keys) == 0 {
		return "'{}'::json"
	}
	var sb strings.Builder
	sb.WriteString("row_to_json((SELECT _e FROM (SELECT ")
	for i := range keys {
		if len(keys[i]) > 63 {
			return jsonObject(keys, vals)
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(vals[i] + " AS " + quoteIdent(keys[i]))
	}
	sb.WriteString(") AS _e))")
	return sb.String()
}

// jsonObject builds json_build_object from key/value pairs. Postgres caps a
// call at 100 arguments, so wider objects are concatenated as text in order.
func jsonObject(keys, vals []string) string {
	if len(keys) == 0 {
		return "'{}'::json"
	}
	const maxPairs = 50
	if len(keys) <= maxPairs {
		return "json_build_object(" + pairs(keys, vals) + ")"
	}
	var parts []string
	for i := 0; i < len(keys); i += maxPairs {
		j := min(i+maxPairs, len(keys))
		parts = append(parts, "json_build_object("+pairs(keys[i:j], vals[i:j])+")::text")
	}
	// '{"a":1}' + '{"b":2}' -> '{"a":1,"b":2}': strip the inner braces.
	expr := parts[0]
	for _, p := range parts[1:] {
		expr = "left(" + expr + ", -1) || ',' || substr(" + p + ", 2)"
	}
	return "(" + expr + ")::json"
}

func pairs(keys, vals []string) string {
	var sb strings.Builder
	for i := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteLiteral(keys[i]))
		sb.WriteString(", ")
		sb.WriteString(vals[i])
	}
	return sb.String()
}

// queryError is an error in Hasura's GraphQL shape.
type queryError struct {
	Code    string
	Path    string
	Message string
}

func (e *queryError) Error() string { return e.Message }

func validationErr(path, format string, a ...any) error {
	return &queryError{Code: "validation-failed", Path: path, Message: fmt.Sprintf(format, a...)}
}

// touch records that the statement reads t.
func (c *compiler) touch(t *metadata.Table) {
	if c.tables == nil {
		c.tables = map[metadata.QualifiedName]bool{}
	}
	c.tables[t.Name] = true
}
