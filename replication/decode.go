package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pglogrepl"
)

// relation is a published table as the last Relation message described it.
type relation struct {
	Relation
	identity byte // relreplident: 'd' default, 'f' full, 'i' index, 'n' nothing
	cols     []relColumn
	names    []string // column names; each Change gets its own copy
	hasKey   bool
}

type relColumn struct {
	name   string
	oid    uint32
	key    bool   // part of the replica identity
	prefix []byte // `"name":` as composite_to_json writes it
}

// decoder turns pgoutput row messages into Changes. It belongs to one
// session's receive loop.
type decoder struct {
	types  *typeCache
	rels   map[uint32]*relation
	server serverRenderer
	buf    []byte
}

// serverRenderer renders one value with to_json on a normal connection, for
// types whose JSON form only the server can produce (a cast to json, such as
// PostGIS geometry → GeoJSON) and as a fallback when a text literal cannot be
// parsed.
type serverRenderer func(ctx context.Context, typeOID uint32, text []byte) ([]byte, error)

func newDecoder(types *typeCache, server serverRenderer) *decoder {
	return &decoder{types: types, rels: map[uint32]*relation{}, server: server}
}

// addRelation caches a Relation message. pgoutput sends one before the first
// change of each table in a session and again after the table changes.
func (d *decoder) addRelation(m *pglogrepl.RelationMessage) {
	rel := &relation{
		Relation: Relation{Schema: m.Namespace, Name: m.RelationName},
		identity: m.ReplicaIdentity,
		cols:     make([]relColumn, len(m.Columns)),
		names:    make([]string, len(m.Columns)),
	}
	for i, c := range m.Columns {
		prefix := AppendJSONString(nil, c.Name)
		rel.cols[i] = relColumn{name: c.Name, oid: c.DataType, key: c.Flags&1 != 0, prefix: append(prefix, ':')}
		rel.names[i] = c.Name
		rel.hasKey = rel.hasKey || c.Flags&1 != 0
	}
	d.rels[m.RelationID] = rel
	// A type used by the table (a composite, a domain) may have changed too.
	d.types.reset()
}

func (d *decoder) relation(id uint32) (*relation, error) {
	rel, ok := d.rels[id]
	if !ok {
		return nil, fmt.Errorf("change for relation %d before its Relation message", id)
	}
	return rel, nil
}

func (d *decoder) insert(ctx context.Context, m *pglogrepl.InsertMessage) (Change, error) {
	rel, err := d.relation(m.RelationID)
	if err != nil {
		return Change{}, err
	}
	row, err := d.row(ctx, rel, m.Tuple, nil, false)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: "INSERT", Table: rel.Relation, New: row, Changed: slices.Clone(rel.names)}, nil
}

func (d *decoder) update(ctx context.Context, m *pglogrepl.UpdateMessage) (Change, error) {
	rel, err := d.relation(m.RelationID)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Op: "UPDATE", Table: rel.Relation}
	var full *pglogrepl.TupleData // the whole old row (REPLICA IDENTITY FULL)
	switch {
	case m.OldTuple != nil && m.OldTupleType == pglogrepl.UpdateMessageTupleTypeOld:
		full = m.OldTuple
		ch.Old, err = d.row(ctx, rel, m.OldTuple, nil, false)
	case m.OldTuple != nil:
		// 'K': the key changed; the old tuple holds the old key columns.
		ch.Old, err = d.row(ctx, rel, m.OldTuple, nil, true)
	case rel.hasKey:
		// No old tuple: the key did not change, so the new row's key
		// columns are the old row's.
		ch.Old, err = d.row(ctx, rel, m.NewTuple, nil, true)
	}
	if err != nil {
		return Change{}, err
	}
	// Unchanged TOASTed values are not sent ('u'): take them from the old
	// row when there is one, else leave them out of New.
	if ch.New, err = d.row(ctx, rel, m.NewTuple, full, false); err != nil {
		return Change{}, err
	}
	if full != nil {
		ch.Changed = changedColumns(rel, full, m.NewTuple)
	} else {
		ch.Changed = slices.Clone(rel.names) // the old values are unknown
	}
	return ch, nil
}

func (d *decoder) delete(ctx context.Context, m *pglogrepl.DeleteMessage) (Change, error) {
	rel, err := d.relation(m.RelationID)
	if err != nil {
		return Change{}, err
	}
	ch := Change{Op: "DELETE", Table: rel.Relation, Changed: slices.Clone(rel.names)}
	if m.OldTuple != nil {
		keysOnly := m.OldTupleType != pglogrepl.DeleteMessageTupleTypeOld
		if ch.Old, err = d.row(ctx, rel, m.OldTuple, nil, keysOnly); err != nil {
			return Change{}, err
		}
	}
	return ch, nil
}

// changedColumns lists the columns whose value differs between the full old
// row and the new one. Equal text output means equal JSON, so the raw
// values are compared; an unchanged TOASTed value ('u') is unchanged.
func changedColumns(rel *relation, old, new *pglogrepl.TupleData) []string {
	changed := []string{}
	for i, c := range rel.cols {
		if i >= len(new.Columns) || i >= len(old.Columns) {
			changed = append(changed, c.name)
			continue
		}
		n, o := new.Columns[i], old.Columns[i]
		if n.DataType == pglogrepl.TupleDataTypeToast {
			continue
		}
		if n.DataType != o.DataType || string(n.Data) != string(o.Data) {
			changed = append(changed, c.name)
		}
	}
	return changed
}

// row renders a tuple as composite_to_json renders the table's row type:
// {"col":value,...} in column order. keysOnly keeps the replica identity
// columns; fill supplies values for unchanged TOASTed columns.
func (d *decoder) row(ctx context.Context, rel *relation, tuple, fill *pglogrepl.TupleData, keysOnly bool) (json.RawMessage, error) {
	if tuple == nil {
		return nil, nil
	}
	if len(tuple.Columns) != len(rel.cols) {
		return nil, fmt.Errorf("%s.%s: tuple has %d columns, relation has %d", rel.Schema, rel.Name, len(tuple.Columns), len(rel.cols))
	}
	buf := append(d.buf[:0], '{')
	first := true
	for i, col := range rel.cols {
		if keysOnly && !col.key {
			continue
		}
		v := tuple.Columns[i]
		if v.DataType == pglogrepl.TupleDataTypeToast {
			if fill == nil || i >= len(fill.Columns) || fill.Columns[i].DataType == pglogrepl.TupleDataTypeToast {
				continue
			}
			v = fill.Columns[i]
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, col.prefix...)
		var err error
		switch v.DataType {
		case pglogrepl.TupleDataTypeNull:
			buf = append(buf, "null"...)
		case pglogrepl.TupleDataTypeText:
			if buf, err = d.value(ctx, buf, col.oid, v.Data); err != nil {
				return nil, fmt.Errorf("%s.%s column %s: %w", rel.Schema, rel.Name, col.name, err)
			}
		default:
			return nil, fmt.Errorf("%s.%s column %s: unsupported tuple data kind %q", rel.Schema, rel.Name, col.name, v.DataType)
		}
	}
	buf = append(buf, '}')
	d.buf = buf
	return append(json.RawMessage(nil), buf...), nil
}

// value appends the JSON of one non-NULL value.
func (d *decoder) value(ctx context.Context, buf []byte, oid uint32, text []byte) ([]byte, error) {
	t, err := d.types.get(ctx, oid)
	if err != nil {
		return buf, err
	}
	if !t.server {
		mark := len(buf)
		out, err := appendValue(buf, t, text)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, errBadLiteral) || d.server == nil {
			return buf, err
		}
		buf = buf[:mark] // a literal we cannot parse: let the server render it
	}
	if d.server == nil {
		return buf, fmt.Errorf("type %d must be rendered by the server, and no connection is available", oid)
	}
	js, err := d.server(ctx, oid, text)
	if err != nil {
		return buf, err
	}
	return append(buf, js...), nil
}

// parseWAL decodes a pgoutput message; pglogrepl indexes without bounds
// checks, so a malformed message panics there and becomes an error here.
func parseWAL(data []byte) (m pglogrepl.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("pgoutput: malformed message: %v", r)
		}
	}()
	if len(data) == 0 {
		return nil, errors.New("pgoutput: empty message")
	}
	if m, err = pglogrepl.ParseV2(data, false); err != nil {
		return nil, fmt.Errorf("pgoutput: %c message: %w", data[0], err)
	}
	return m, nil
}

func escapeQuotes(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(out)
}
