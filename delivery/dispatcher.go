package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/graftql/graft/replication"
)

// TriggerSource gives the current event triggers of a table (from metadata).
// It is called for every transaction and by workers at delivery time, so it
// must be cheap and safe for concurrent use.
type TriggerSource interface {
	TriggersFor(table Relation) []Trigger
}

// Dispatcher matches committed changes to event triggers and queues the
// events. It is the replication.Sink of the slot reader.
type Dispatcher struct {
	q   *Queue
	src TriggerSource
}

var _ replication.Sink = (*Dispatcher)(nil)

// NewDispatcher returns a Dispatcher queueing on q the events of src's
// triggers.
func NewDispatcher(q *Queue, src TriggerSource) *Dispatcher {
	return &Dispatcher{q: q, src: src}
}

// HandleTransaction queues the events the transaction fires. It returns nil
// only once Redis has acknowledged them all (at once without touching Redis
// when nothing fires). Event ids depend only on the commit LSN, the change's
// index and the trigger, and the queue skips WAL positions at or below the
// last one queued, so handling a transaction again queues nothing new.
func (d *Dispatcher) HandleTransaction(ctx context.Context, tx *replication.Transaction) error {
	return d.HandleTransactions(ctx, []*replication.Transaction{tx})
}

// HandleTransactions queues the events of consecutive transactions together
// (one script call per 500 events): under a stream of small transactions,
// one Redis round trip serves many commits.
func (d *Dispatcher) HandleTransactions(ctx context.Context, txs []*replication.Transaction) error {
	var evs []*newEvent
	for _, tx := range txs {
		more, err := d.match(tx)
		if err != nil {
			return err
		}
		evs = append(evs, more...)
	}
	if len(evs) == 0 {
		return nil
	}
	if _, err := d.q.enqueue(ctx, evs); err != nil {
		last := txs[len(txs)-1]
		return fmt.Errorf("%d transaction(s) up to %d (commit LSN %d): %w", len(txs), last.XID, last.CommitLSN, err)
	}
	return nil
}

// match builds the events of tx in commit order.
func (d *Dispatcher) match(tx *replication.Transaction) ([]*newEvent, error) {
	var evs []*newEvent
	cache := map[Relation][]Trigger{}
	for i := range tx.Changes {
		c := &tx.Changes[i]
		trigs, ok := cache[c.Table]
		if !ok {
			trigs = d.src.TriggersFor(c.Table)
			cache[c.Table] = trigs
		}
		for j := range trigs {
			t := &trigs[j]
			if !t.Fires(c) {
				continue
			}
			oldRow, newRow := c.Old, c.New
			if c.Op == "INSERT" {
				oldRow = nil
			}
			if c.Op == "DELETE" {
				newRow = nil
			}
			e, err := buildEvent(EventID(tx.CommitLSN, i, t.Name), t, c.Table, c.Op, oldRow, newRow,
				tx.SessionVariables, tx.TraceContext, tx.CommitTime)
			if err != nil {
				return nil, fmt.Errorf("delivery: trigger %s, change %d of transaction %d: %w", t.Name, i, tx.XID, err)
			}
			e.Seq = walSeq(tx.CommitLSN, i, j)
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// ErrManualDisabled is returned by Invoke for a trigger without enable_manual.
var ErrManualDisabled = errors.New("delivery: manual invocation is not enabled for this trigger")

// Invoke queues a MANUAL event of trigger t for row (data {old: null, new:
// row}), as Hasura's pg_invoke_event_trigger; session nil means admin. It
// returns the new event's id.
func (q *Queue) Invoke(ctx context.Context, t Trigger, row, session json.RawMessage) (string, error) {
	if !t.EnableManual {
		return "", fmt.Errorf("trigger %q: %w", t.Name, ErrManualDisabled)
	}
	if err := t.validate(); err != nil {
		return "", fmt.Errorf("delivery: %w", err)
	}
	if len(session) == 0 {
		session = adminSession
	}
	e, err := buildEvent(randomID(), &t, t.Table, "MANUAL", nil, row, session, nil, timeNow())
	if err != nil {
		return "", fmt.Errorf("delivery: trigger %s: %w", t.Name, err)
	}
	if _, err := q.enqueue(ctx, []*newEvent{e}); err != nil {
		return "", err
	}
	return e.ID, nil
}
