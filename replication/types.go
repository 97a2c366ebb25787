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
	// Temporary: read from a temporary slot, which nothing resumes from.
	// Acknowledging it commits to nothing durable; a Sink queueing work
	// from it could not rely on seeing it again after a failure.
	Temporary bool
}

// Sink takes committed transactions in commit order. Returning nil means the
// transaction's effects are durable; only then may the slot advance past it.
type Sink interface {
	HandleTransaction(ctx context.Context, tx *Transaction) error
}

// BatchSink is a Sink that can also take several consecutive transactions
// at once (those already decoded and waiting when it is free): under many
// small commits, one durable write then serves many. nil means all of them
// are durable; on an error none is taken to be, and they are handed over
// again.
type BatchSink interface {
	Sink
	HandleTransactions(ctx context.Context, txs []*Transaction) error
}

// maxBatch bounds the transactions handed to a BatchSink at once.
const maxBatch = 256
