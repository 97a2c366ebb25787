package graphql

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
)

// cursorKeys mirrors orderKeys: for each key it yields, in the same order,
// the path of its value in a cursor. Hasura names a column by its Postgres
// name, an object relationship by its name (the target's keys nested
// under it), an aggregate by <rel>_aggregate then count or op and column.
func (c *compiler) cursorKeys(t *metadata.Table, list []any) []cursorKey {
	var out []cursorKey
	for _, item := range list {
		for _, f := range asObject(item) {
			out = append(out, c.cursorField(t, f.Name, f.Value)...)
		}
	}
	return out
}

func (c *compiler) cursorField(t *metadata.Table, name string, v any) []cursorKey {
	if v == nil {
		return nil
	}
	if col := t.ColumnByGQL(name); col != nil {
		return []cursorKey{{path: []string{col.Name}, typ: columnType(col)}}
	}
	if r := t.Relationship(name); r != nil && r.Kind == metadata.ObjectRel {
		sub := c.cursorKeys(r.Target, []any{v})
		for i := range sub {
			sub[i].path = append([]string{name}, sub[i].path...)
		}
		return sub
	}
	if rel, ok := strings.CutSuffix(name, "_aggregate"); ok {
		if r := t.Relationship(rel); r != nil && r.Kind == metadata.ArrayRel {
			var out []cursorKey
			for _, f := range asObject(v) {
				if f.Value == nil {
					continue
				}
				if f.Name == "count" {
					out = append(out, cursorKey{path: []string{name, "count"}, typ: pgType{Name: "int8"}})
					continue
				}
				for _, cf := range asObject(f.Value) {
					col := r.Target.ColumnByGQL(cf.Name)
					if col == nil || cf.Value == nil {
						continue
					}
					typ := pgType{Name: "numeric"} // sum, avg, stddev...: numeric for every input
					if f.Name == "max" || f.Name == "min" {
						typ = columnType(col)
					}
					out = append(out, cursorKey{path: []string{name, f.Name, col.Name}, typ: typ})
				}
			}
			return out
		}
	}
	for _, cf := range t.ComputedFields {
		if cf.Name == name && cf.ReturnsTable == nil {
			return []cursorKey{{path: []string{name}, typ: pgType{Schema: cf.ReturnType.Schema, Name: cf.ReturnType.Name}}}
		}
	}
	return nil
}

// cursorJSON builds the cursor object of a row of the numbered rows: keys
// sharing a path prefix nest under one object, in first-seen order.
func cursorJSON(alias string, keys []cursorKey) string {
	type node struct {
		name string
		leaf int // index of the key, or -1 for a nested object
		kids []*node
	}
	root := &node{leaf: -1}
	for i, k := range keys {
		n := root
		for depth, name := range k.path {
			var next *node
			for _, kid := range n.kids {
				if kid.name == name && kid.leaf < 0 && depth < len(k.path)-1 {
					next = kid
				}
			}
			if next == nil {
				next = &node{name: name, leaf: -1}
				if depth == len(k.path)-1 {
					next.leaf = i
				}
				n.kids = append(n.kids, next)
			}
			n = next
		}
	}
	var build func(n *node) string
	build = func(n *node) string {
		if n.leaf >= 0 {
			return alias + ".__o" + strconv.Itoa(n.leaf+1)
		}
		parts := make([]string, 0, 2*len(n.kids))
		for _, kid := range n.kids {
			parts = append(parts, quoteLiteral(kid.name), build(kid))
		}
		return "json_build_object(" + strings.Join(parts, ", ") + ")"
	}
	return build(root)
}

// cursorCondition selects the rows after (or before) the cursor's row in
// the order keys give, as Hasura: o1 > v1 OR (o1 = v1 AND (o2 > v2 OR ...)),
// the comparison flipped for descending keys.
func (c *compiler) cursorCondition(keys []orderKey, ckeys []cursorKey, cursor any, after bool, path string) (string, error) {
	invalid := validationErr(path, "the \"after\" or \"before\" cursor is invalid")
	s, _ := cursor.(string)
	dec := json.NewDecoder(bytes.NewReader(decodeBase64Lenient(s)))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return "", invalid
	}
	values := make([]string, len(ckeys))
	for i, k := range ckeys {
		v, ok := doc, true
		for _, name := range k.path {
			m, isObj := v.(map[string]any)
			if !isObj {
				ok = false
				break
			}
			if v, ok = m[name]; !ok {
				break
			}
		}
		if !ok {
			return "", invalid
		}
		p, err := c.typed(v, k.typ)
		if err != nil {
			return "", invalid
		}
		values[i] = p
	}
	cond := "false"
	for i := len(keys) - 1; i >= 0; i-- {
		op := ">"
		if strings.HasPrefix(keys[i].dir, "DESC") == after {
			op = "<"
		}
		o := "__o" + strconv.Itoa(i+1)
		cond = "(" + o + " " + op + " " + values[i] + " OR (" + o + " = " + values[i] + " AND " + cond + "))"
	}
	return cond, nil
}
