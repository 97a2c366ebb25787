package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/replication"
	"github.com/jackc/pgx/v5"
)

// Which replication slot the WAL reader uses. A persistent slot retains WAL
// while Graft is stopped, for good if Graft never comes back; a temporary
// one goes with its connection. Only queued events need to resume where a
// stopped Graft left off, so the reader uses temporary slots until event
// triggers exist (and Redis to queue their events), then the persistent
// slot until it stops. Going back to temporary slots when the last trigger
// is deleted would mean dropping the slot while other replicas may still
// read it; the next start drops it instead (dropLeftoverSlot).

// persistentSlot tells whether the reader needs the persistent slot: only
// queued events must survive a stop; live queries refetch everything when
// they start. Without the queue, triggers get no events anyway. w.mu is
// held.
func (w *wal) persistentSlot() bool { return w.hasWork && w.queue != nil }

func (w *wal) invalidate(names []metadata.QualifiedName) {
	if w.changes != nil {
		w.changes.add(names) // every process (this one too) invalidates from the channel
	} else {
		w.live.Invalidate(names)
	}
}

var _ replication.ResyncSink = (*wal)(nil)

// Resync refetches every live query (of every process, with Redis) when a
// temporary slot starts: what was committed before it, while no slot was
// read, is then seen all the same.
func (w *wal) Resync(context.Context) {
	if all := w.all.Load(); all != nil {
		w.invalidate(*all)
	}
}

// dropLeftoverSlot drops the persistent slot an earlier run with event
// triggers left behind, now that there are none: read by nobody while Graft
// runs on temporary slots, it would retain WAL for good. Dropping it loses
// nothing: the slot holds only changes not yet turned into events, and a
// change is matched against the triggers of the metadata when it is read,
// so with no trigger its backlog would queue nothing. Events already queued
// live in Redis, not in the slot, so pending events are no reason to keep
// it. The metadata is read again from the database under the lock
// UsePersistent creates the slot under: a trigger another process creates
// meanwhile is either seen (the slot is kept) or creates the slot after the
// drop, and a slot another process streams is kept. A failure only costs
// the retained WAL, so it is logged, not fatal.
func (w *wal) dropLeftoverSlot(ctx context.Context, s *replication.Stream) {
	unused := noEventTriggers
	if w.unused != nil {
		unused = w.unused
	}
	dropped, err := s.DropPersistentSlot(ctx, unused)
	switch {
	case err != nil:
		w.log.Warn("cannot drop the persistent replication slot of an earlier run; it retains WAL until dropped", "type", "startup", "slot", w.cfg.Slot, "error", err)
	case dropped:
		w.log.Info("dropped the persistent replication slot of an earlier run: no event trigger is defined, so the WAL is read through temporary slots", "type", "startup", "slot", w.cfg.Slot)
	}
}

// noEventTriggers reads the stored metadata: no event trigger in any
// source, those of inconsistent tables included.
func noEventTriggers(ctx context.Context, conn *pgx.Conn) (bool, error) {
	md, err := storedMetadata(ctx, conn)
	if md == nil || err != nil {
		return err == nil, err
	}
	names, err := triggerNames(md)
	if err != nil {
		return false, fmt.Errorf("read the metadata: %w", err)
	}
	return len(names) == 0, nil
}

// triggerNames lists the event triggers in metadata, those of inconsistent
// tables included: a table missing for a while is not a deleted trigger.
// Event triggers it cannot read are an error, not "none": dropping the slot
// or archiving events on that word would lose events.
func triggerNames(md *metadata.Metadata) (map[string]bool, error) {
	names := map[string]bool{}
	if md == nil {
		return names, nil
	}
	for _, src := range md.Sources {
		for _, t := range src.Tables {
			if len(t.EventTriggers) == 0 {
				continue
			}
			var trs []struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(t.EventTriggers, &trs); err != nil {
				return nil, fmt.Errorf("event triggers of table %s in source %s: %w", t.Table.String(), src.Name, err)
			}
			for _, tr := range trs {
				names[tr.Name] = true
			}
		}
	}
	return names, nil
}

// storedMetadata reads the metadata stored in the main database; nil
// when none is stored yet.
func storedMetadata(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (*metadata.Metadata, error) {
	var raw []byte
	err := q.QueryRow(ctx, `SELECT metadata::text FROM hdb_catalog.hdb_metadata WHERE id = 1`).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the metadata: %w", err)
	}
	md, err := metadata.ParseMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("read the metadata: %w", err)
	}
	return md, nil
}
