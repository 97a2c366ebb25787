package delivery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
)

// BenchmarkEnqueue: HandleTransaction of one-insert transactions (one
// script call to Redis each), and of 100-insert transactions.
func BenchmarkEnqueue(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("changes=%d", size), func(b *testing.B) {
			q := testQueue(b)
			tr := mustTrigger(b, usersTable, `{"name":"bench","definition":{"insert":{"columns":"*"}},"webhook":"http://127.0.0.1:1"}`)
			tr.PrimaryKey = []string{"id"}
			d := NewDispatcher(q, newSource(tr))
			txs := make([]*replication.Transaction, b.N)
			for i := range txs {
				txs[i] = benchTx(uint64(i+1), size)
			}
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				if err := d.HandleTransaction(ctx, txs[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkEndToEnd: events/s from HandleTransaction to a local receiver
// answering 200, through one worker pool (size 100), 1000 distinct rows.
func BenchmarkEndToEnd(b *testing.B) {
	q := testQueue(b)
	var n atomic.Int64
	done := make(chan struct{})
	target := int64(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		if n.Add(1) == target {
			close(done)
		}
	}))
	defer srv.Close()
	tr := mustTrigger(b, usersTable, `{"name":"e2e","definition":{"insert":{"columns":"*"}},"webhook":"`+srv.URL+`"}`)
	tr.PrimaryKey = []string{"id"}
	src := newSource(tr)
	d := NewDispatcher(q, src)
	const perTx = 10
	var txs []*replication.Transaction
	for i := 0; i < b.N; i += perTx {
		txs = append(txs, benchTx(uint64(i+1), min(perTx, b.N-i)))
	}
	b.ResetTimer()
	startPool(b, q, src, PoolConfig{Size: 100})
	ctx := context.Background()
	for _, x := range txs {
		if err := d.HandleTransaction(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("delivered %d of %d", n.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// benchTx is a transaction of size inserts into 1000 distinct rows.
func benchTx(lsn uint64, size int) *replication.Transaction {
	changes := make([]replication.Change, size)
	for k := range changes {
		changes[k] = insert(fmt.Sprintf(`{"id":%d,"name":"user %d","email":"u%d@example.com"}`, (int(lsn)+k)%1000, k, k))
	}
	return tx(lsn, changes...)
}
