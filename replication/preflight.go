package replication

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrUnavailable is returned (wrapped) by Preflight and Start when the
// server or the role does not allow logical replication at all. Retrying
// does not help until the database or the role is changed.
var ErrUnavailable = errors.New("logical replication is not available")

// Preflight checks what streaming needs of the database before anything is
// created or altered: wal_level=logical, WAL senders and replication slots
// configured, and a role allowed to replicate. A database that cannot
// replicate is then reported in one sentence saying what to change, rather
// than by whichever statement happens to fail first (and after SetTables
// may already have altered tables for nothing). It does not prove that
// the slot can be created: a free slot, and a free WAL sender once
// streaming, are only known by trying.
func (s *Stream) Preflight(ctx context.Context) error {
	return s.withConn(ctx, func(conn *pgx.Conn) error { return preflight(ctx, conn) })
}

func preflight(ctx context.Context, conn *pgx.Conn) error {
	var walLevel, role string
	var senders, slots int
	var canReplicate bool
	// rds_replication is how Amazon RDS and Aurora grant replication to a
	// role that is neither superuser nor REPLICATION; checking only those
	// two attributes would keep the reader off where it works.
	err := conn.QueryRow(ctx, `
		SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int,
		       current_setting('max_replication_slots')::int, r.rolname::text,
		       r.rolsuper OR r.rolreplication OR EXISTS (
		           SELECT 1 FROM pg_roles g
		           WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER'))
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&walLevel, &senders, &slots, &role, &canReplicate)
	if err != nil {
		return fmt.Errorf("replication: read wal_level and the role's attributes: %w", err)
	}
	switch {
	case walLevel != "logical":
		return fmt.Errorf("replication: %w: wal_level is %s, not logical (set wal_level = logical and restart PostgreSQL)", ErrUnavailable, walLevel)
	case senders == 0:
		return fmt.Errorf("replication: %w: max_wal_senders is 0 (raise it and restart PostgreSQL)", ErrUnavailable)
	case slots == 0:
		return fmt.Errorf("replication: %w: max_replication_slots is 0 (raise it and restart PostgreSQL)", ErrUnavailable)
	case !canReplicate:
		return fmt.Errorf("replication: %w: role %s has neither REPLICATION nor SUPERUSER (ALTER ROLE %s REPLICATION)",
			ErrUnavailable, role, pgx.Identifier{role}.Sanitize())
	}
	return nil
}
