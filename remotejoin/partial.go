package remotejoin

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// FieldError is a join whose fetch failed: its field is null in every row
// of its level, and Path locates the first row's field (response keys and
// list indices below the root field's value, as GraphQL's error path).
type FieldError struct {
	Path []any
	Err  error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// ApplyPartial is Apply where a failing join fails only its own field:
// its slots become null and its error is returned with the others' values
// stitched in. err is only for a value that is not JSON.
func ApplyPartial(ctx context.Context, value []byte, joins []Join) (out []byte, failed []*FieldError, err error) {
	root := &node{raw: value}
	slots := make([][]*node, len(joins))
	firsts := make([][]any, len(joins))
	for i, j := range joins {
		if err := root.collect(j.Path, &slots[i]); err != nil {
			return nil, nil, err
		}
		if len(slots[i]) > 0 {
			firsts[i] = root.pathTo(j.Path, slots[i][0])
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
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("remote join failed: %v", p)
				}
			}()
			errs[i] = fetch(ctx, j.Joiner, slots[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		for _, s := range slots[i] {
			*s = node{raw: []byte("null")}
		}
		failed = append(failed, &FieldError{Path: firsts[i], Err: err})
	}
	var buf bytes.Buffer
	buf.Grow(len(value))
	root.write(&buf)
	return buf.Bytes(), failed, nil
}

// pathTo is the keys and indices from n down to target, found along path
// (n is already expanded wherever path passes); nil when not found.
func (n *node) pathTo(path []string, target *node) []any {
	if n == target {
		return []any{}
	}
	if len(path) == 0 {
		return nil
	}
	switch n.kind {
	case '[':
		for i, e := range n.arr {
			if p := e.pathTo(path, target); p != nil {
				return append([]any{i}, p...)
			}
		}
	case '{':
		for _, m := range n.obj {
			if m.key == path[0] {
				if p := m.val.pathTo(path[1:], target); p != nil {
					return append([]any{m.key}, p...)
				}
				return nil
			}
		}
	}
	return nil
}
