package guard

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/graftql/graft/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/printer"
)

// document is what the guard needs of one query text, computed once per
// distinct text: its normalised form (the allow list's key) and, per
// operation, its kind, depth and node count (the limits').
type document struct {
	parsed     bool   // false: not GraphQL; the engine reports why
	normalised string // the document printed canonically, without __typename
	ops        map[string]operation
	single     *operation // the only operation, whatever its name
}

// operation is one operation's measure.
type operation struct {
	kind         string // query, mutation or subscription
	depth, nodes int
}

// find returns the operation a request names (or its only one); nil lets
// the engine report the mismatch.
func (d *document) find(name string) *operation {
	if name == "" {
		return d.single
	}
	if op, ok := d.ops[name]; ok {
		return &op
	}
	return nil
}

// analyse parses and measures a query text.
func analyse(query string) *document {
	doc, err := graphql.ParseDocument(query)
	if err != nil {
		return &document{}
	}
	d := &document{parsed: true, normalised: normalise(doc), ops: map[string]operation{}}
	frags := map[string]*ast.FragmentDefinition{}
	var ops []*ast.OperationDefinition
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.FragmentDefinition:
			frags[def.Name.Value] = def
		case *ast.OperationDefinition:
			ops = append(ops, def)
		}
	}
	m := &measurer{frags: frags, memo: map[string][2]int{}, busy: map[string]bool{}}
	for _, op := range ops {
		depth, nodes := m.selections(op.SelectionSet, true)
		o := operation{kind: op.Operation, depth: depth, nodes: nodes}
		if op.Name != nil {
			d.ops[op.Name.Value] = o
		}
		if len(ops) == 1 {
			d.single = &o
		}
	}
	return d
}

// measurer computes depth and node counts as Hasura's API limits define
// them: a node is a field with a selection set, the depth is the most such
// fields on one path; fragments count where they are spread, and the
// introspection root fields (__schema, __type) count for neither. A
// fragment's measure is memoised, so that a fragment spread many times
// (or a cycle, which validation refuses later) costs nothing extra.
type measurer struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[string][2]int
	busy  map[string]bool
}

func (m *measurer) selections(ss *ast.SelectionSet, root bool) (depth, nodes int) {
	if ss == nil {
		return 0, 0
	}
	for _, sel := range ss.Selections {
		var d, n int
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.SelectionSet == nil || (root && (sel.Name.Value == "__schema" || sel.Name.Value == "__type")) {
				continue
			}
			d, n = m.selections(sel.SelectionSet, false)
			d, n = d+1, n+1
		case *ast.InlineFragment:
			d, n = m.selections(sel.SelectionSet, root)
		case *ast.FragmentSpread:
			d, n = m.fragment(sel.Name.Value, root)
		}
		depth, nodes = max(depth, d), nodes+n
	}
	return depth, nodes
}

func (m *measurer) fragment(name string, root bool) (int, int) {
	key := name
	if root {
		key += "\x00root" // at the root, introspection fields are skipped
	}
	if v, ok := m.memo[key]; ok {
		return v[0], v[1]
	}
	f := m.frags[name]
	if f == nil || m.busy[key] {
		return 0, 0
	}
	m.busy[key] = true
	d, n := m.selections(f.SelectionSet, root)
	delete(m.busy, key)
	m.memo[key] = [2]int{d, n}
	return d, n
}

// normalise prints the document canonically (no whitespace, comments or
// formatting of the text) without its __typename fields, as Hasura's
// NormalizedQuery: two texts parsing to the same document compare equal.
// Like Hasura, __typename is removed from fields' selection sets and the
// operations' and fragments' own, not inside inline fragments.
func normalise(doc *ast.Document) string {
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			stripTypename(def.SelectionSet)
		case *ast.FragmentDefinition:
			stripTypename(def.SelectionSet)
		}
	}
	return fmt.Sprint(printer.Print(doc))
}

func stripTypename(ss *ast.SelectionSet) {
	if ss == nil {
		return
	}
	kept := ss.Selections[:0]
	for _, sel := range ss.Selections {
		if f, ok := sel.(*ast.Field); ok {
			if f.Name != nil && f.Name.Value == "__typename" {
				continue
			}
			stripTypename(f.SelectionSet)
		}
		kept = append(kept, sel)
	}
	ss.Selections = kept
}

// maxDocuments bounds the cache of analysed texts; past it the cache
// starts over (as the engine's plan cache does).
const maxDocuments = 4096

// documents caches analyse by query text. Reads are lock-free: the hot
// path is one map lookup.
type documents struct {
	cur atomic.Pointer[docMap]
}

type docMap struct {
	m sync.Map // string -> *document
	n atomic.Int64
}

func (c *documents) get(query string) *document {
	dm := c.cur.Load()
	if dm == nil {
		dm = &docMap{}
		if !c.cur.CompareAndSwap(nil, dm) {
			dm = c.cur.Load()
		}
	}
	if d, ok := dm.m.Load(query); ok {
		return d.(*document)
	}
	d := analyse(query)
	if dm.n.Add(1) > maxDocuments {
		c.cur.CompareAndSwap(dm, &docMap{})
		return d
	}
	dm.m.Store(query, d)
	return d
}
