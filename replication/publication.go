package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSlotInvalidated is returned (wrapped) when the slot exists but
// PostgreSQL invalidated it, normally because it retained more WAL than
// max_slot_wal_keep_size. See the package documentation.
var ErrSlotInvalidated = errors.New("replication slot invalidated")

// ensureCatalog creates the publication, and the persistent slot when
// that is what the session reads, when missing.
func (s *Stream) ensureCatalog(ctx context.Context, pool *pgxpool.Pool, persistent bool) error {
	var pubExists bool
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)",
		s.cfg.PublicationName).Scan(&pubExists); err != nil {
		return fmt.Errorf("replication: read publication: %w", err)
	}
	if !pubExists {
		// Created empty: SetTables decides which tables are published.
		_, err := pool.Exec(ctx, "CREATE PUBLICATION "+pgx.Identifier{s.cfg.PublicationName}.Sanitize())
		if err != nil && !isCode(err, "42710") { // duplicate_object: another process was faster
			return fmt.Errorf("replication: create publication %s: %w", s.cfg.PublicationName, err)
		}
		if err == nil {
			s.log.Info("replication: created publication", "publication", s.cfg.PublicationName)
		}
	}
	if !persistent {
		return nil
	}
	return s.ensureSlot(ctx, pool)
}

// querier is a pool or a connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// ensureSlot creates the persistent slot when missing, and makes sure the
// confirmed position is not behind the slot's, so status updates never
// move the slot backwards.
func (s *Stream) ensureSlot(ctx context.Context, q querier) error {
	for created := false; ; created = true {
		// wal_status (PostgreSQL 13+) is read through to_jsonb so the query
		// runs on older servers too.
		var plugin, database, walStatus, confirmed, current string
		err := q.QueryRow(ctx, `
			SELECT coalesce(plugin, ''), coalesce(database::text, ''), coalesce(to_jsonb(s) ->> 'wal_status', ''),
			       coalesce(confirmed_flush_lsn::text, '0/0'), current_database()::text
			FROM pg_replication_slots s WHERE slot_name = $1`, s.cfg.SlotName).Scan(&plugin, &database, &walStatus, &confirmed, &current)
		if errors.Is(err, pgx.ErrNoRows) && !created {
			if err := s.createSlot(ctx, q); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("replication: read slot %s: %w", s.cfg.SlotName, err)
		}
		switch {
		case plugin != "pgoutput":
			return fmt.Errorf("replication: slot %s exists but is not a pgoutput logical slot (plugin %q); choose another SlotName", s.cfg.SlotName, plugin)
		case database != current:
			return fmt.Errorf("replication: slot %s belongs to database %s, not %s; slot names are cluster-wide: choose another SlotName", s.cfg.SlotName, database, current)
		case walStatus == "lost":
			return fmt.Errorf("replication: slot %s: %w (it exceeded max_slot_wal_keep_size); changes since then are lost: drop it with SELECT pg_drop_replication_slot('%s') and Graft creates a new one", s.cfg.SlotName, ErrSlotInvalidated, s.cfg.SlotName)
		}
		lsn, err := parseLSN(confirmed)
		if err != nil {
			return fmt.Errorf("replication: slot %s: %w", s.cfg.SlotName, err)
		}
		s.advance(lsn)
		return nil
	}
}

// createSlot creates the persistent pgoutput slot. It waits for running
// transactions to end (the slot needs a consistent starting point).
func (s *Stream) createSlot(ctx context.Context, q querier) error {
	_, err := q.Exec(ctx, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", s.cfg.SlotName)
	if err != nil && !isCode(err, "42710") {
		return fmt.Errorf("replication: create slot %s: %w", s.cfg.SlotName, err)
	}
	if err == nil {
		s.log.Info("replication: created replication slot", "plugin", "pgoutput")
	}
	return nil
}

// SetTables makes the publication contain exactly tables, and sets REPLICA
// IDENTITY FULL on fullIdentity tables that are not FULL already, so
// UPDATE and DELETE changes carry the whole old row (update and delete event
// triggers need it). Tables without a primary key (REPLICA IDENTITY DEFAULT)
// or with REPLICA IDENTITY NOTHING get FULL too: PostgreSQL refuses UPDATE
// and DELETE on a published table without a replica identity. Every change
// is logged. It runs in one transaction and works before Start as well.
// Pass ordinary tables: views and foreign tables cannot be published.
func (s *Stream) SetTables(ctx context.Context, tables []Relation, fullIdentity []Relation) error {
	return s.withConn(ctx, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return s.setTables(ctx, tx, tables, fullIdentity) })
	})
}

func (s *Stream) setTables(ctx context.Context, tx pgx.Tx, tables, fullIdentity []Relation) error {
	pub := pgx.Identifier{s.cfg.PublicationName}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)", s.cfg.PublicationName).Scan(&exists); err != nil {
		return fmt.Errorf("replication: read publication: %w", err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE PUBLICATION "+pub); err != nil {
			return fmt.Errorf("replication: create publication %s: %w", s.cfg.PublicationName, err)
		}
	}
	rows, err := tx.Query(ctx, `
		SELECT n.nspname::text, c.relname::text FROM pg_publication_rel pr
		JOIN pg_publication p ON p.oid = pr.prpubid
		JOIN pg_class c ON c.oid = pr.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE p.pubname = $1`, s.cfg.PublicationName)
	if err != nil {
		return fmt.Errorf("replication: read publication tables: %w", err)
	}
	current, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Relation, error) {
		var rel Relation
		return rel, r.Scan(&rel.Schema, &rel.Name)
	})
	if err != nil {
		return fmt.Errorf("replication: read publication tables: %w", err)
	}
	want := uniqueRelations(tables)
	current = uniqueRelations(current)
	if !slices.Equal(want, current) {
		var sql string
		if len(want) == 0 {
			sql = "ALTER PUBLICATION " + pub + " DROP TABLE " + relationList(current)
		} else {
			sql = "ALTER PUBLICATION " + pub + " SET TABLE " + relationList(want)
		}
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("replication: set publication tables: %w", err)
		}
		s.log.Info("replication: publication tables changed", "publication", s.cfg.PublicationName,
			"added", relationNames(diffRelations(want, current)), "removed", relationNames(diffRelations(current, want)))
	}
	full := map[Relation]bool{}
	for _, r := range fullIdentity {
		full[r] = true
	}
	for _, r := range uniqueRelations(append(slices.Clone(want), fullIdentity...)) {
		var ident string
		var hasPK bool
		err := tx.QueryRow(ctx, `
			SELECT c.relreplident::text, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relname = $2`, r.Schema, r.Name).Scan(&ident, &hasPK)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("replication: table %s.%s does not exist", r.Schema, r.Name)
		}
		if err != nil {
			return fmt.Errorf("replication: read replica identity of %s.%s: %w", r.Schema, r.Name, err)
		}
		needed := full[r] || ident == "n" || (ident == "d" && !hasPK)
		if ident == "f" || !needed {
			continue
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{r.Schema, r.Name}.Sanitize()+" REPLICA IDENTITY FULL"); err != nil {
			return fmt.Errorf("replication: set replica identity of %s.%s: %w", r.Schema, r.Name, err)
		}
		reason := "update/delete triggers need the old row"
		if !full[r] {
			reason = "the table has no primary key: without a replica identity PostgreSQL rejects its updates and deletes once published"
		}
		s.log.Info("replication: set REPLICA IDENTITY FULL", "table", r.Schema+"."+r.Name, "was", identityName(ident), "reason", reason)
	}
	return nil
}

// withConn runs fn on a pool connection when started, else on a connection
// of its own.
func (s *Stream) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	s.mu.Lock()
	pool := s.pool
	s.mu.Unlock()
	if pool != nil {
		return pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error { return fn(c.Conn()) })
	}
	conn, err := pgx.ConnectConfig(ctx, s.normalCfg.Copy())
	if err != nil {
		return fmt.Errorf("replication: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}

func uniqueRelations(rs []Relation) []Relation {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b Relation) int {
		if c := strings.Compare(a.Schema, b.Schema); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return slices.Compact(out)
}

func diffRelations(a, b []Relation) []Relation {
	var out []Relation
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	return out
}

func relationList(rs []Relation) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = pgx.Identifier{r.Schema, r.Name}.Sanitize()
	}
	return strings.Join(parts, ", ")
}

func relationNames(rs []Relation) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Schema + "." + r.Name
	}
	return names
}

func identityName(ident string) string {
	switch ident {
	case "d":
		return "DEFAULT"
	case "n":
		return "NOTHING"
	case "i":
		return "USING INDEX"
	}
	return "FULL"
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
