package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// attempts records what an Observer hears.
type attempts struct {
	mu   sync.Mutex
	seen []string
}

func (a *attempts) EventAttempt(trigger, outcome string, posted bool, queued, took time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if queued < 0 || took <= 0 {
		outcome += " (bad durations)"
	}
	a.seen = append(a.seen, trigger+" "+outcome+map[bool]string{true: " posted", false: ""}[posted])
}

// lockedBuffer is a log sink written by the pool's workers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestObserverAndWebhookLog(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, func(r *request) response {
		if r.currentRetry() == 0 {
			return response{status: http.StatusBadGateway}
		}
		return response{status: http.StatusOK}
	})
	tr := mustTrigger(t, usersTable, `{"name":"observed","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":1,"interval_sec":0},"webhook":"`+rc.URL+`/hook?token=secret"}`)
	src := newSource(tr)
	obs := &attempts{}
	logs := &lockedBuffer{}
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 2, Observer: obs, WebhookLog: slog.New(slog.NewJSONHandler(logs, nil))})
	if err := NewDispatcher(q, src).HandleTransaction(context.Background(), tx(50, insert(`{"id":1}`))); err != nil {
		t.Fatal(err)
	}
	id := EventID(50, 0, "observed")
	for _, want := range []string{id + " retry", id + " ok"} {
		if got := waitString(t, rec); got != want {
			t.Fatalf("recorded %q, want %q", got, want)
		}
	}
	obs.mu.Lock()
	if got := strings.Join(obs.seen, ", "); got != "observed retry posted, observed ok posted" {
		t.Errorf("observer heard %q", got)
	}
	obs.mu.Unlock()
	logs.mu.Lock()
	raw := logs.b.String()
	logs.mu.Unlock()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d webhook-log lines, want 2:\n%s", len(lines), raw)
	}
	for i, want := range []struct {
		level    string
		status   float64
		response any
	}{{"ERROR", 502, `{"ok":true}`}, {"INFO", 200, nil}} {
		l := lines[i]
		if l["level"] != want.level || l["type"] != "webhook-log" || l["status_code"] != want.status || l["response"] != want.response ||
			l["url"] != rc.URL+"/hook" || l["event_id"] != id || l["current_retry"] != float64(i) || l["trigger_name"] != "observed" {
			t.Errorf("line %d: %v", i, l)
		}
	}
	pending, dead, err := q.Depth(context.Background())
	if err != nil || pending != 0 || dead["observed"] != 0 {
		t.Errorf("Depth = %d, %v, %v; want 0 pending, no dead", pending, dead, err)
	}
}

func TestDepthCountsPendingAndDead(t *testing.T) {
	q := testQueue(t)
	rc := newReceiver(t, func(*request) response { return response{status: http.StatusInternalServerError} })
	tr := mustTrigger(t, usersTable, `{"name":"doomed","definition":{"insert":{"columns":"*"}},
		"retry_conf":{"num_retries":0,"interval_sec":0},"webhook":"`+rc.URL+`"}`)
	src := newSource(tr)
	ctx := context.Background()
	if err := NewDispatcher(q, src).HandleTransaction(ctx, tx(60, insert(`{"id":1}`), insert(`{"id":2}`))); err != nil {
		t.Fatal(err)
	}
	// Queued, no pool yet: both pending.
	if pending, _, err := q.Depth(ctx); err != nil || pending != 2 {
		t.Fatalf("before delivery: %d pending (%v), want 2", pending, err)
	}
	obs := &attempts{}
	_, rec := startRecorded(t, q, src, PoolConfig{Size: 2, Observer: obs})
	for range 2 {
		if got := waitString(t, rec); !strings.HasSuffix(got, " dead") {
			t.Fatalf("recorded %q, want a dead letter", got)
		}
	}
	pending, dead, err := q.Depth(ctx)
	if err != nil || pending != 0 || dead["doomed"] != 2 {
		t.Errorf("Depth = %d, %v, %v; want 0 pending, 2 dead", pending, dead, err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if got := strings.Join(obs.seen, ", "); got != "doomed dead posted, doomed dead posted" {
		t.Errorf("observer heard %q", got)
	}
}
