package replication_test

import (
	"context"
	"testing"

	"github.com/graftql/graft/replication"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// TestUsePersistentDropsTheFirstTemporarySlot: when the stream moves to the
// persistent slot before a session took the temporary slot Start made for
// the first one, that slot (its replication connection and WAL sender) goes
// at once, not at Stop.
func TestUsePersistentDropsTheFirstTemporarySlot(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	slot := newSlotName(t, db)
	testenv.Exec(t, db, `CREATE TABLE items (id int PRIMARY KEY, note text)`)
	setTables(t, db, []replication.Relation{{Schema: "public", Name: "items"}}, nil)
	cfg := streamConfig(t, db, slot, newSink())
	cfg.Temporary = true
	st := startStream(t, cfg)
	eventually(t, "streaming from a temporary slot", func() (bool, error) {
		kind, name := st.Slot()
		return kind == replication.SlotTemporary && name != "", nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	defer cancel()
	first, err := st.ReplaceFirst(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UsePersistent(ctx); err != nil {
		t.Fatalf("UsePersistent: %v", err)
	}

	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	eventually(t, "the persistent slot streamed and no temporary slot left", func() (bool, error) {
		var active bool
		var temporary int
		err := conn.QueryRow(ctx, `SELECT
			coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = $1), false),
			(SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1 || '\_tmp\_%')`, slot).Scan(&active, &temporary)
		return err == nil && active && temporary == 0, err
	})
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, first).Scan(&left); err != nil || left != 0 {
		t.Fatalf("the unused temporary slot %s: %d left (%v)", first, left, err)
	}
}
