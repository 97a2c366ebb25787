package replication_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/graftql/graft/replication"
	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// TestPreflight: a role that may replicate passes; a LOGIN role without
// REPLICATION gets ErrUnavailable naming the attribute, from Preflight and
// from Start, and Start creates no slot for it.
func TestPreflight(t *testing.T) {
	t.Parallel()
	db := testenv.NewDatabase(t)
	slot := newSlotName(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	st, err := replication.New(streamConfig(t, db, slot, newSink()))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Preflight(ctx); err != nil {
		t.Fatalf("Preflight as the tests' superuser: %v", err)
	}

	// Roles are cluster-wide: a unique name, dropped at cleanup.
	b := make([]byte, 6)
	rand.Read(b)
	role := "graft_norepl_" + hex.EncodeToString(b)
	ident := pgx.Identifier{role}.Sanitize()
	testenv.Exec(t, db, `CREATE ROLE `+ident+` LOGIN NOSUPERUSER NOREPLICATION PASSWORD '`+hex.EncodeToString(b)+`'`)
	t.Cleanup(func() { testenv.Exec(t, db, `DROP ROLE `+ident) })
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, hex.EncodeToString(b))

	cfg := streamConfig(t, u.String(), slot, newSink())
	st, err = replication.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Preflight(ctx)
	if !errors.Is(err, replication.ErrUnavailable) || !strings.Contains(err.Error(), "REPLICATION") {
		t.Fatalf("Preflight without REPLICATION: %v, want ErrUnavailable naming REPLICATION", err)
	}
	err = st.Start(ctx)
	if err == nil {
		st.Stop(ctx)
		t.Fatal("Start without REPLICATION succeeded")
	}
	if !errors.Is(err, replication.ErrUnavailable) {
		t.Fatalf("Start without REPLICATION: %v, want ErrUnavailable", err)
	}
	var slots int
	if err := testenv.Pool(t, db).QueryRow(ctx, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&slots); err != nil {
		t.Fatal(err)
	}
	if slots != 0 {
		t.Fatalf("Start without REPLICATION created slot %s", slot)
	}
}
