package replication

import (
	"context"
	"encoding/json"
	"time"
)

// Relation names a table.
type Relation struct{ Schema, Name string }

// Change is one row change of a committed transaction.
type Change struct {
	Op      string // "INSERT", "UPDATE", "DELETE"
	Table   Relation
	Old     json.RawMessage // old row exactly as row_to_json renders it; nil for INSERT (and for UPDATE/DELETE, key columns only unless REPLICA IDENTITY FULL)
	New     json.RawMessage // new row exactly as row_to_json renders it; nil for DELETE
	Changed []string        // UPDATE: names of columns whose value differs between Old and New (all columns when Old is unknown); INSERT/DELETE: all columns
}

// Transaction is one committed transaction's changes, in commit order.
type Transaction struct {
	XID              uint32
	CommitLSN        uint64 // pglogrepl.LSN as uint64
	CommitTime       time.Time
	SessionVariables json.RawMessage // session_variables of Graft's logical message (prefix "graft"); nil when the write did not come through Graft
	TraceContext     json.RawMessage // trace_context of that message; nil when absent
	Changes          []Change
}

// Sink takes committed transactions in commit order. Returning nil means the
// transaction's effects are durable; only then may the slot advance past it.
type Sink interface {
	HandleTransaction(ctx context.Context, tx *Transaction) error
}
