package remotejoin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Joiner fetches one remote relationship for many rows at once. Fetch may
// be called concurrently with other Joiners' of the same answer.
type Joiner interface {
	// Fetch returns the relationship's value for each key, in order. A key
	// is the JSON object of the row's join columns the SQL wrote.
	Fetch(ctx context.Context, keys []json.RawMessage) ([]json.RawMessage, error)
}

// Join is one remote relationship of a compiled root field.
type Join struct {
	// Path is the response keys from the root field's value down to the
	// relationship's own key; lists on the way are walked element by
	// element, nulls skipped.
	Path   []string
	Joiner Joiner
}

// Apply replaces the join keys at each join's path in value (a root
// field's JSON) with what the join's Joiner answers for them. Each join
// makes one Fetch; joins run at once, as no join's keys sit inside
// another's value.
func Apply(ctx context.Context, value []byte, joins []Join) ([]byte, error) {
	root := &node{raw: value}
	slots := make([][]*node, len(joins))
	for i, j := range joins {
		if err := root.collect(j.Path, &slots[i]); err != nil {
			return nil, err
		}
	}
	errs := make([]error, len(joins))
	var wg sync.WaitGroup
	for i, j := range joins {
		if len(slots[i]) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fetch(ctx, j.Joiner, slots[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	buf.Grow(len(value))
	root.write(&buf)
	return buf.Bytes(), nil
}

// fetch asks the joiner for the slots' keys and puts its answers in them.
func fetch(ctx context.Context, joiner Joiner, slots []*node) error {
	keys := make([]json.RawMessage, len(slots))
	for i, s := range slots {
		keys[i] = s.raw
	}
	vals, err := joiner.Fetch(ctx, keys)
	if err != nil {
		return err
	}
	if len(vals) != len(keys) {
		return fmt.Errorf("remote join: %d values for %d rows", len(vals), len(keys))
	}
	for i, s := range slots {
		s.raw = vals[i]
	}
	return nil
}

// node is a JSON value, expanded only where a join path passes.
type node struct {
	raw  json.RawMessage // the value, while not expanded
	obj  []member        // an expanded object, in its key order
	arr  []*node         // an expanded array
	kind byte            // 0 unexpanded, '{' or '['
}

type member struct {
	key    string
	rawKey []byte // the key as written, quotes included
	val    *node
}

// collect appends the nodes at path below n.
func (n *node) collect(path []string, out *[]*node) error {
	if len(path) == 0 {
		*out = append(*out, n)
		return nil
	}
	if err := n.expand(); err != nil {
		return err
	}
	switch n.kind {
	case '[':
		for _, e := range n.arr {
			if err := e.collect(path, out); err != nil {
				return err
			}
		}
	case '{':
		for _, m := range n.obj {
			if m.key == path[0] {
				return m.val.collect(path[1:], out)
			}
		}
	}
	return nil
}

// expand parses an object or array one level deep; other values stay raw.
func (n *node) expand() error {
	if n.kind != 0 {
		return nil
	}
	raw := bytes.TrimSpace(n.raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return nil
	}
	n.kind = raw[0]
	if err := n.split(raw); err != nil {
		return err
	}
	n.raw = nil
	return nil
}

func (n *node) write(buf *bytes.Buffer) {
	switch n.kind {
	case '{':
		buf.WriteByte('{')
		for i, m := range n.obj {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(m.rawKey)
			buf.WriteByte(':')
			m.val.write(buf)
		}
		buf.WriteByte('}')
	case '[':
		buf.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.write(buf)
		}
		buf.WriteByte(']')
	default:
		if len(n.raw) == 0 {
			buf.WriteString("null")
			return
		}
		buf.Write(n.raw)
	}
}
