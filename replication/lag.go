package replication

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LagInfo is the slot's position relative to the server's WAL.
type LagInfo struct {
	// ConfirmedFlushLSN: every transaction committed before it has been
	// acknowledged by the Sink.
	ConfirmedFlushLSN uint64
	// CurrentLSN is pg_current_wal_lsn().
	CurrentLSN uint64
	// LagBytes = CurrentLSN - ConfirmedFlushLSN: WAL not yet consumed.
	LagBytes int64
	// RetainedBytes = CurrentLSN - restart_lsn: WAL the slot keeps on disk.
	RetainedBytes int64
	// Active reports whether a walsender (this or another Graft) streams
	// from the slot.
	Active bool
	// WALStatus is pg_replication_slots.wal_status: reserved, extended,
	// unreserved, or lost (invalidated: see the package documentation).
	WALStatus string
}

// ErrNoSlot is returned (wrapped) by Lag for a Stream on temporary slots
// that is not streaming: it has no slot (the leader's is its own).
var ErrNoSlot = errors.New("no slot")

// Lag reads the slot's lag from pg_replication_slots. On the persistent
// slot it works in standby processes too: the slot is shared.
func (s *Stream) Lag(ctx context.Context) (LagInfo, error) {
	var info LagInfo
	_, slot := s.Slot()
	if slot == "" {
		return info, fmt.Errorf("replication: %w: not streaming from a temporary slot", ErrNoSlot)
	}
	err := s.withConn(ctx, func(conn *pgx.Conn) error {
		var err error
		info, err = readLag(ctx, conn, slot)
		return err
	})
	return info, err
}

func (s *Stream) lag(ctx context.Context, pool *pgxpool.Pool) (LagInfo, error) {
	var info LagInfo
	_, slot := s.Slot()
	if slot == "" {
		return info, fmt.Errorf("replication: %w: not streaming from a temporary slot", ErrNoSlot)
	}
	err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		var err error
		info, err = readLag(ctx, c.Conn(), slot)
		return err
	})
	return info, err
}

func readLag(ctx context.Context, conn *pgx.Conn, slot string) (LagInfo, error) {
	var info LagInfo
	var confirmed, current string
	err := conn.QueryRow(ctx, `
		SELECT coalesce(confirmed_flush_lsn, '0/0')::text, pg_current_wal_lsn()::text,
		       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint,
		       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,
		       active, coalesce(to_jsonb(s) ->> 'wal_status', '')
		FROM pg_replication_slots s WHERE slot_name = $1`, slot).Scan(
		&confirmed, &current, &info.LagBytes, &info.RetainedBytes, &info.Active, &info.WALStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return info, fmt.Errorf("replication: slot %s does not exist", slot)
	}
	if err != nil {
		return info, fmt.Errorf("replication: read lag of slot %s: %w", slot, err)
	}
	if info.ConfirmedFlushLSN, err = parseLSN(confirmed); err != nil {
		return info, err
	}
	if info.CurrentLSN, err = parseLSN(current); err != nil {
		return info, err
	}
	return info, nil
}

func parseLSN(s string) (uint64, error) {
	lsn, err := pglogrepl.ParseLSN(s)
	if err != nil {
		return 0, fmt.Errorf("replication: parse LSN %q: %w", s, err)
	}
	return uint64(lsn), nil
}

// serverRender renders a value with to_json on a pool connection: the
// value's text and type OID are sent as a typed parameter, so the server
// applies exactly the rule row_to_json would (including casts to json).
func serverRender(pool *pgxpool.Pool) serverRenderer {
	return func(ctx context.Context, typeOID uint32, text []byte) ([]byte, error) {
		var out []byte
		err := pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
			res := c.Conn().PgConn().ExecParams(ctx, "SELECT to_json($1)::text",
				[][]byte{text}, []uint32{typeOID}, []int16{0}, []int16{0}).Read()
			if res.Err != nil {
				return res.Err
			}
			if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
				return errors.New("to_json returned no value")
			}
			out = append(out, res.Rows[0][0]...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("render type %d with to_json: %w", typeOID, err)
		}
		return out, nil
	}
}
