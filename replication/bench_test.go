package replication

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/jackc/pglogrepl"
)

// benchRelation is a typical application table: the Relation message
// pgoutput would send for it, and an Insert message for one row.
func benchMessages() (relation, insert []byte) {
	type col struct {
		name string
		oid  uint32
		key  bool
		val  string // "" is NULL
	}
	cols := []col{
		{"id", 20, true, "1234567"},
		{"account_id", 2950, false, "5f0c6f8e-3c2a-4b8e-9d0a-2b6c1e7f9a11"},
		{"email", 25, false, "someone@example.com"},
		{"name", 1043, false, "Ada \"the Countess\" Lovelace"},
		{"active", 16, false, "t"},
		{"balance", 1700, false, "1234.56"},
		{"score", 701, false, "0.8125"},
		{"tags", 1009, false, `{admin,"power user",beta}`},
		{"profile", 3802, false, `{"bio": "Mathematician\nand writer", "langs": ["en", "fr"], "age": 36}`},
		{"created_at", 1184, false, "2024-03-01 12:34:56.789012+00"},
		{"updated_at", 1184, false, ""},
		{"birthday", 1082, false, "1815-12-10"},
	}
	u16 := func(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
	u32 := func(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
	str := func(b []byte, s string) []byte { return append(append(b, s...), 0) }

	relation = u32([]byte{'R'}, 16500)
	relation = str(str(relation, "public"), "accounts")
	relation = u16(append(relation, 'd'), uint16(len(cols)))
	for _, c := range cols {
		flags := byte(0)
		if c.key {
			flags = 1
		}
		relation = u32(u32(str(append(relation, flags), c.name), c.oid), 0xffffffff)
	}
	insert = u16(append(u32([]byte{'I'}, 16500), 'N'), uint16(len(cols)))
	for _, c := range cols {
		if c.val == "" {
			insert = append(insert, 'n')
			continue
		}
		insert = append(u32(append(insert, 't'), uint32(len(c.val))), c.val...)
	}
	return relation, insert
}

// BenchmarkDecode measures parsing a pgoutput Insert message and rendering
// its row as row_to_json JSON (built-in types: no catalog queries).
func BenchmarkDecode(b *testing.B) {
	relMsg, insMsg := benchMessages()
	dec := newDecoder(newTypeCache(nil), nil)
	m, err := parseWAL(relMsg)
	if err != nil {
		b.Fatal(err)
	}
	dec.addRelation(&m.(*pglogrepl.RelationMessageV2).RelationMessage)
	ctx := context.Background()
	b.SetBytes(int64(len(insMsg)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := parseWAL(insMsg)
		if err != nil {
			b.Fatal(err)
		}
		ch, err := dec.insert(ctx, &m.(*pglogrepl.InsertMessageV2).InsertMessage)
		if err != nil || len(ch.New) == 0 {
			b.Fatal(err)
		}
	}
}

func TestBenchMessagesDecode(t *testing.T) {
	relMsg, insMsg := benchMessages()
	dec := newDecoder(newTypeCache(nil), nil)
	m, err := parseWAL(relMsg)
	if err != nil {
		t.Fatal(err)
	}
	dec.addRelation(&m.(*pglogrepl.RelationMessageV2).RelationMessage)
	m, err = parseWAL(insMsg)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := dec.insert(context.Background(), &m.(*pglogrepl.InsertMessageV2).InsertMessage)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1234567,"account_id":"5f0c6f8e-3c2a-4b8e-9d0a-2b6c1e7f9a11","email":"someone@example.com",` +
		`"name":"Ada \"the Countess\" Lovelace","active":true,"balance":1234.56,"score":0.8125,` +
		`"tags":["admin","power user","beta"],"profile":{"bio": "Mathematician\nand writer", "langs": ["en", "fr"], "age": 36},` +
		`"created_at":"2024-03-01T12:34:56.789012+00:00","updated_at":null,"birthday":"1815-12-10"}`
	if string(ch.New) != want {
		t.Errorf("got  %s\nwant %s", ch.New, want)
	}
	if ch.Op != "INSERT" || ch.Table != (Relation{"public", "accounts"}) || len(ch.Changed) != 12 || ch.Old != nil {
		t.Errorf("change: %+v", ch)
	}
	if _, err := parseWAL(insMsg[:10]); err == nil {
		t.Error("truncated message: no error")
	}
}
