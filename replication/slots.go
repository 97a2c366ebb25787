package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Slot kinds, as Stream.Slot reports them.
const (
	SlotTemporary  = "temporary"
	SlotPersistent = "persistent"
)

// closeTimeout bounds closing a connection politely.
const closeTimeout = 5 * time.Second

// ResyncSink is a Sink told when changes may have been missed. A temporary
// slot starts at the position it is created at: what was committed while no
// slot of this Stream existed (before the first session, between two
// sessions, before a takeover) is never delivered. Resync runs once each
// temporary slot exists, so refetching everything then misses nothing.
type ResyncSink interface {
	Sink
	Resync(ctx context.Context)
}

// tempSlot is a replication connection with its temporary slot: the slot
// lives as long as the connection.
type tempSlot struct {
	conn *pgconn.PgConn
	name string
	lsn  uint64 // the slot's consistent point: it delivers what commits after
}

func (t *tempSlot) close() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	t.conn.Close(ctx)
}

// tempSlotName is unique per call: replicas of one deployment each may read
// a temporary slot, and a slot just released by a closing connection may
// not be gone yet when the next session creates its own.
func tempSlotName(slot string) string {
	b := make([]byte, 6)
	rand.Read(b)
	suffix := "_tmp_" + hex.EncodeToString(b)
	return slot[:min(len(slot), 63-len(suffix))] + suffix
}

// openTemporary connects for replication and creates a temporary slot on
// that connection. Like any logical slot, its creation waits for the
// transactions running in the cluster to end.
func (s *Stream) openTemporary(ctx context.Context) (*tempSlot, error) {
	conn, err := pgconn.ConnectConfig(ctx, s.replCfg)
	if err != nil {
		return nil, fmt.Errorf("replication: connect for replication: %w", err)
	}
	name := tempSlotName(s.cfg.SlotName)
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, name, "pgoutput", pglogrepl.CreateReplicationSlotOptions{
		Temporary: true, Mode: pglogrepl.LogicalReplication, SnapshotAction: "NOEXPORT_SNAPSHOT"})
	if err == nil {
		var lsn pglogrepl.LSN
		if lsn, err = pglogrepl.ParseLSN(res.ConsistentPoint); err == nil {
			return &tempSlot{conn: conn, name: name, lsn: uint64(lsn)}, nil
		}
	}
	(&tempSlot{conn: conn}).close()
	return nil, fmt.Errorf("replication: create temporary slot %s: %w", name, err)
}

// takeFirst hands the temporary slot Start created to the first session.
func (s *Stream) takeFirst() *tempSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.first
	s.first = nil
	return t
}

// discardFirst drops the temporary slot Start created, when this process
// stands by instead of streaming at once.
func (s *Stream) discardFirst() {
	if t := s.takeFirst(); t != nil {
		t.close()
	}
}

func kindName(persistent bool) string {
	if persistent {
		return SlotPersistent
	}
	return SlotTemporary
}

// Slot reports the kind of slot this Stream reads (SlotTemporary or
// SlotPersistent) and its name; the name is empty while a temporary
// Stream is not streaming (standing by, reconnecting).
func (s *Stream) Slot() (kind, name string) {
	if s.persistent.Load() {
		return SlotPersistent, s.cfg.SlotName
	}
	if p := s.tempName.Load(); p != nil {
		return SlotTemporary, *p
	}
	return SlotTemporary, ""
}

// UsePersistent moves a Stream started on a temporary slot to the
// persistent one (SlotName), creating it when missing: once it returns,
// every transaction committed afterwards is delivered from the persistent
// slot, across restarts. The current temporary session ends; the next
// session resumes from the persistent slot's own position, so
// transactions the temporary slot already handed over are handed over
// again (Sinks are idempotent anyway) and none committed since the
// persistent slot's creation is skipped. A process standing by only
// records the switch. Staying persistent is one-way: it lasts until Stop.
func (s *Stream) UsePersistent(ctx context.Context) error {
	if s.persistent.Load() {
		return nil
	}
	if s.cfg.Independent {
		return errors.New("replication: an Independent stream reads temporary slots only")
	}
	err := s.withAdminLock(ctx, func(conn *pgx.Conn) error { return s.ensureSlot(ctx, conn) })
	if err != nil {
		return err
	}
	s.persistent.Store(true)
	s.sessMu.Lock()
	if s.endSession != nil {
		s.endSession()
	}
	s.sessMu.Unlock()
	s.log.Info("replication: reading the persistent slot from now on")
	return nil
}

// DropPersistentSlot drops the persistent slot (SlotName) when it exists,
// belongs to this database, no walsender streams it, and unused, asked on
// a connection holding the lock UsePersistent creates the slot under,
// confirms that nothing needs it. Holding that lock, a check reading
// committed state (such as the event triggers in the metadata) cannot
// interleave with a concurrent switch to the slot. It reports whether the
// slot was dropped.
func (s *Stream) DropPersistentSlot(ctx context.Context, unused func(context.Context, *pgx.Conn) (bool, error)) (bool, error) {
	var dropped bool
	err := s.withAdminLock(ctx, func(conn *pgx.Conn) error {
		var active, ours bool
		err := conn.QueryRow(ctx, `
			SELECT active, coalesce(database = current_database() AND plugin = 'pgoutput', false)
			FROM pg_replication_slots WHERE slot_name = $1`, s.cfg.SlotName).Scan(&active, &ours)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("replication: read slot %s: %w", s.cfg.SlotName, err)
		}
		if !ours || active {
			s.log.Info("replication: keeping the persistent slot", "in_use", active, "other_database_or_plugin", !ours)
			return nil
		}
		ok, err := unused(ctx, conn)
		if err != nil || !ok {
			return err
		}
		if _, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", s.cfg.SlotName); err != nil {
			if isCode(err, "55006") { // object_in_use: a walsender took it meanwhile
				return nil
			}
			return fmt.Errorf("replication: drop slot %s: %w", s.cfg.SlotName, err)
		}
		dropped = true
		return nil
	})
	return dropped, err
}

// withAdminLock runs fn holding an advisory lock that serializes creating
// and dropping the persistent slot across processes. The connection is its
// own, not a pool's: closing it releases the lock whatever happened.
func (s *Stream) withAdminLock(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := pgx.ConnectConfig(ctx, s.normalCfg.Copy())
	if err != nil {
		return fmt.Errorf("replication: connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey("admin:"+s.cfg.SlotName)); err != nil {
		return fmt.Errorf("replication: take the slot administration lock: %w", err)
	}
	return fn(conn)
}
