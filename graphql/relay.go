package graphql

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/graftql/graft/metadata"
)

// Relay returns the engine serving Hasura's Relay API (/v1beta1/relay). It
// shares the metadata, pool, live queries and guard, but has its own schema
// and plan caches: the same query text means different things in each API.
func (e *Engine) Relay() *Engine {
	if e.relay {
		return e
	}
	e.relayOnce.Do(func() {
		e.relayEngine = &Engine{meta: e.meta, pool: e.pool, log: e.log, LogQueries: e.LogQueries,
			Live: e.Live, Guard: e.Guard, LiveSources: e.LiveSources, version: -1, relay: true}
	})
	return e.relayEngine
}

// relayRoot compiles a root field only the Relay schema has.
func (c *compiler) relayRoot(rf rootField, g *fieldGroup, path string) (string, error) {
	switch rf.Kind {
	case rootNode:
		return c.nodeSQL(g, path)
	case rootFunctionConnection:
		from, err := c.functionFrom(rf.Function, g)
		if err != nil {
			return "", err
		}
		return c.connectionSQL(rf.Table, from, "", g, path)
	default:
		return c.connectionSQL(rf.Table, rf.Table.Name.SQL(), "", g, path)
	}
}

// nodeSQL selects the row a global id names, through the role's filter:
// null when the role may not see it.
func (c *compiler) nodeSQL(g *fieldGroup, path string) (string, error) {
	v, _ := c.arg(g, "id")
	id, _ := v.(string)
	t, values, err := c.rs.decodeNodeID(id, path+".args.id")
	if err != nil {
		return "", err
	}
	conds := make([]string, len(t.PrimaryKey))
	for i, col := range t.PrimaryKey {
		p, err := c.typed(values[i], columnType(col))
		if err != nil {
			return "", err
		}
		conds[i] = "{x}." + quoteIdent(col.Name) + " = " + p
	}
	sql, err := c.objectSQL(t, t.Name.SQL(), joinAnd(conds), g, path)
	if err != nil {
		return "", err
	}
	return "SELECT (" + sql + ") AS j", nil
}

// nodeIDExpr is a row's global id as Hasura builds it: the base64 of the
// JSON array [1, schema, table, primary key values...] (version 1 ids).
func nodeIDExpr(t *metadata.Table, alias string) string {
	parts := []string{"1", quoteLiteral(t.Name.Schema), quoteLiteral(t.Name.Name)}
	for _, col := range t.PrimaryKey {
		parts = append(parts, alias+"."+quoteIdent(col.Name))
	}
	return base64Expr("json_build_array(" + strings.Join(parts, ", ") + ")")
}

// base64Expr encodes a JSON expression's text in base64 without the line
// breaks Postgres puts every 76 characters.
func base64Expr(jsonExpr string) string {
	return "replace(encode(convert_to((" + jsonExpr + ")::text, 'UTF8'), 'base64'), chr(10), '')"
}

// decodeNodeID parses a global id into the table it names (one the role
// may read) and its primary key values, with Hasura's error messages.
func (rs *roleSchema) decodeNodeID(id, path string) (*metadata.Table, []any, error) {
	raw := decodeBase64Lenient(id)
	invalid := func(format string, a ...any) error {
		return validationErr(path, "invalid node id: "+format, a...)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, validationErr(path, "the node id is invalid: %s", jsonSyntaxMessage(raw))
	}
	list, ok := doc.([]any)
	if !ok {
		return nil, nil, validationErr(path, "the node id is invalid: Error in $: parsing [] failed, expected Array, but encountered %s", jsonKind(doc))
	}
	if len(list) == 0 {
		return nil, nil, invalid("Error in $: unexpected GUID format, found empty list")
	}
	version, ok := list[0].(json.Number)
	if !ok {
		return nil, nil, invalid("Error in $: unexpected GUID format, needs to start with a version number")
	}
	if version.String() != "1" {
		return nil, nil, invalid("Error in $: unsupported GUID version: %s", version)
	}
	schema, okSchema := list[1%len(list)].(string)
	name, okName := list[2%len(list)].(string)
	if len(list) < 4 || !okSchema || !okName {
		return nil, nil, invalid("Error in $: GUID version 1: expecting schema name, table name and at least one column value")
	}
	var t *metadata.Table
	for tt := range rs.access {
		if tt.Name.Schema == schema && tt.Name.Name == name && len(tt.PrimaryKey) > 0 {
			t = tt
		}
	}
	if t == nil {
		return nil, nil, invalid("no such table found: %q", metadata.QualifiedName{Schema: schema, Name: name}.String())
	}
	values := list[3:]
	if len(values) < len(t.PrimaryKey) {
		missing := make([]string, 0, len(t.PrimaryKey)-len(values))
		for _, col := range t.PrimaryKey[len(values):] {
			missing = append(missing, col.Name)
		}
		return nil, nil, invalid("primary key columns %s are missing", strings.Join(missing, ", "))
	}
	if len(values) > len(t.PrimaryKey) {
		extra, _ := json.Marshal(values[len(t.PrimaryKey):])
		return nil, nil, invalid("unexpected column values %s", extra)
	}
	return t, values, nil
}

// decodeBase64Lenient decodes as Haskell's decodeLenient: characters outside
// the alphabet are dropped and missing padding is no error.
func decodeBase64Lenient(s string) []byte {
	var sb strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' {
			sb.WriteRune(r)
		}
	}
	clean := sb.String()
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, _ := base64.RawStdEncoding.DecodeString(clean)
	return out
}

// jsonSyntaxMessage words a JSON syntax error as Haskell's aeson does for
// input that does not start a JSON value: it quotes the input, whitespace
// left out, each byte as one character.
func jsonSyntaxMessage(raw []byte) string {
	var sb strings.Builder
	for _, b := range raw {
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			sb.WriteRune(rune(b))
		}
	}
	if len(raw) == 0 {
		return "Error in $: not enough input"
	}
	return fmt.Sprintf("Error in $: Failed reading: not a valid json value at '%s'", sb.String())
}

// jsonKind names a decoded JSON value's kind as aeson does.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		return "Boolean"
	case nil:
		return "Null"
	}
	return "Array"
}
