package replication_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
	"github.com/graftql/graft/tests/testenv"
)

// counter is a BatchSink that only counts transactions.
type counter struct{ n atomic.Int64 }

func (c *counter) HandleTransaction(_ context.Context, _ *replication.Transaction) error {
	c.n.Add(1)
	return nil
}

func (c *counter) HandleTransactions(_ context.Context, txs []*replication.Transaction) error {
	c.n.Add(int64(len(txs)))
	return nil
}

// BenchmarkCaptureSingleRowCommits: the reader's CPU per single-row
// transaction (receive, decode, hand over, acknowledge), the regime where
// per-transaction costs dominate. pgbench commits the rows from another
// process, so cpu-µs/tx is Graft's own (getrusage of this process); the
// walsender's share is PostgreSQL's. Run with -benchtime 20000x.
func BenchmarkCaptureSingleRowCommits(b *testing.B) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("pgbench not installed")
	}
	db := testenv.NewDatabase(b)
	testenv.Exec(b, db, `CREATE TABLE capt (id bigserial PRIMARY KEY, seq int NOT NULL, name text NOT NULL,
		amount numeric(12,2) NOT NULL, at timestamptz NOT NULL DEFAULT now())`)
	script := filepath.Join(b.TempDir(), "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO capt (seq, name, amount) VALUES (1, 'customer 1', 12.50);\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	c := &counter{}
	slot := newSlotName(b, db)
	cfg := streamConfig(b, db, slot, c)
	cfg.PublicationName = slot
	cfg.StandbyInterval = 10 * time.Second
	startStream(b, cfg)
	st, err := replication.New(replication.Config{ConnString: db, PublicationName: slot, Sink: c, Logger: testLogger(b)})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.SetTables(context.Background(), []replication.Relation{{Schema: "public", Name: "capt"}}, nil); err != nil {
		b.Fatal(err)
	}
	commit := func(n int) {
		from := c.n.Load()
		out, err := exec.Command(pgbench, "-n", "-c", "4", "-t", fmt.Sprint(n/4), "-f", script, db).CombinedOutput()
		if err != nil {
			b.Fatalf("pgbench: %v: %s", err, out)
		}
		deadline := time.Now().Add(time.Minute)
		for c.n.Load() < from+int64(n/4*4) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d transactions captured", c.n.Load()-from, n/4*4)
			}
			time.Sleep(time.Millisecond) // polling with a deadline
		}
	}
	commit(400) // warm-up: the stream is running, the relation known
	n := max(4, b.N/4*4)
	b.ResetTimer()
	c0 := processCPU()
	commit(n)
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-c0).Microseconds())/float64(n), "cpu-µs/tx")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
