package delivery

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/replication"
	"github.com/redis/go-redis/v9"
)

// waitTimeout bounds every wait of the tests (a deadline, not a sleep).
const waitTimeout = 20 * time.Second

var usersTable = Relation{Schema: "public", Name: "users"}

// testRedis connects to REDIS_URL (the private dev Redis of `make test`).
func testRedis(tb testing.TB) *redis.Client {
	tb.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		tb.Skip("REDIS_URL not set: run through `make test`, which starts a private Redis")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatalf("REDIS_URL: %v", err)
	}
	opt.PoolSize = 64
	rdb := redis.NewClient(opt)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testQueue returns a queue under a fresh prefix whose keys are deleted at
// the end of the test.
func testQueue(tb testing.TB) *Queue {
	tb.Helper()
	rdb := testRedis(tb)
	q, err := NewQueue(Config{Redis: rdb, Prefix: "graft:test:" + randomID()[:8] + ":"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, q.cfg.Prefix+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return q
}

// keys lists the queue's keys.
func (q *Queue) testKeys(tb testing.TB) []string {
	tb.Helper()
	keys, err := q.rdb.Keys(context.Background(), q.cfg.Prefix+"*").Result()
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// source is a TriggerSource of fixed triggers.
type source struct {
	mu   sync.Mutex
	byTb map[Relation][]Trigger
}

func newSource(ts ...Trigger) *source {
	s := &source{byTb: map[Relation][]Trigger{}}
	for _, t := range ts {
		s.byTb[t.Table] = append(s.byTb[t.Table], t)
	}
	return s
}

func (s *source) TriggersFor(table Relation) []Trigger {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byTb[table]
}

// mustTrigger parses one trigger of metadata JSON.
func mustTrigger(tb testing.TB, table Relation, js string) Trigger {
	tb.Helper()
	ts, err := ParseTriggers(table, json.RawMessage("["+js+"]"))
	if err != nil || len(ts) != 1 {
		tb.Fatalf("ParseTriggers: %v", err)
	}
	return ts[0]
}

// request is one request seen by the receiver.
type request struct {
	Header  http.Header
	Body    []byte
	Payload map[string]any
	Status  int // the status answered
}

func (r *request) id() string { return r.Payload["id"].(string) }

func (r *request) currentRetry() int {
	return int(r.Payload["delivery_info"].(map[string]any)["current_retry"].(float64))
}

func (r *request) newRow() map[string]any {
	m, _ := r.Payload["event"].(map[string]any)["data"].(map[string]any)["new"].(map[string]any)
	return m
}

// receiver is a webhook on loopback. respond decides each answer (nil: 200).
type receiver struct {
	srv  *httptest.Server
	reqs chan *request
	URL  string
}

type response struct {
	status int
	header map[string]string
	block  <-chan struct{} // when set, wait for it (or the client giving up)
}

func newReceiver(tb testing.TB, respond func(*request) response) *receiver {
	tb.Helper()
	rc := &receiver{reqs: make(chan *request, 100000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &request{Header: r.Header.Clone(), Body: body}
		if err := json.Unmarshal(body, &req.Payload); err != nil {
			tb.Errorf("receiver: body is not JSON: %v: %s", err, body)
		}
		resp := response{status: http.StatusOK}
		if respond != nil {
			resp = respond(req)
		}
		req.Status = resp.status
		rc.reqs <- req
		if resp.block != nil {
			select {
			case <-resp.block:
			case <-r.Context().Done():
			}
		}
		for k, v := range resp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	rc.URL = rc.srv.URL
	tb.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next request.
func (rc *receiver) next(tb testing.TB) *request {
	tb.Helper()
	select {
	case r := <-rc.reqs:
		return r
	case <-time.After(waitTimeout):
		tb.Fatalf("no webhook request within %v", waitTimeout)
		return nil
	}
}

// startPool starts a worker pool stopped at the end of the test.
func startPool(tb testing.TB, q *Queue, src TriggerSource, cfg PoolConfig) *WorkerPool {
	tb.Helper()
	if cfg.Size == 0 {
		cfg.Size = 8
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = func(string) (string, bool) { return "", false }
	}
	p := NewWorkerPool(q, src, cfg)
	if err := p.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p
}

// startRecorded starts a pool, stopped at the end of the test, with the
// channel of its recorded attempts (see recorded).
func startRecorded(tb testing.TB, q *Queue, src TriggerSource, cfg PoolConfig) (*WorkerPool, <-chan string) {
	tb.Helper()
	p := NewWorkerPool(q, src, cfg)
	rec := recorded(p)
	if err := p.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Stop(context.Background()) })
	return p, rec
}

// recorded returns a channel receiving "<id> <result>" for each recorded
// attempt of p. Set before Start.
func recorded(p *WorkerPool) <-chan string {
	ch := make(chan string, 100000)
	p.onRecord = func(id, result string) { ch <- id + " " + result }
	return ch
}

func waitString(tb testing.TB, ch <-chan string) string {
	tb.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(waitTimeout):
		tb.Fatalf("nothing recorded within %v", waitTimeout)
		return ""
	}
}

// crash stops p as a killed process would: no release, no bookkeeping.
func (p *WorkerPool) crash() { p.Kill() }

// tx is a transaction with the given changes.
func tx(lsn uint64, changes ...replication.Change) *replication.Transaction {
	return &replication.Transaction{
		XID: uint32(lsn), CommitLSN: lsn, CommitTime: time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Changes: changes,
	}
}

func insert(row string) replication.Change {
	return replication.Change{Op: "INSERT", Table: usersTable, New: json.RawMessage(row), Changed: []string{"id", "name", "email"}}
}

func update(old, new string, changed ...string) replication.Change {
	return replication.Change{Op: "UPDATE", Table: usersTable, Old: json.RawMessage(old), New: json.RawMessage(new), Changed: changed}
}

func del(old string) replication.Change {
	return replication.Change{Op: "DELETE", Table: usersTable, Old: json.RawMessage(old), Changed: []string{"id", "name", "email"}}
}

// TestMain keeps expected warnings (dead-lettered events) out of the output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}
