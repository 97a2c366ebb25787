package integration

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// leakyFront stands in front of the join remote and misbehaves as mode
// says; it counts the connections it accepted and has not seen closed, so
// that a connection Graft never let go of shows.
type leakyFront struct {
	*httptest.Server
	mode atomic.Value // "", "500", "html", "slow", "hang"
	open atomic.Int64
	stop chan struct{}
	mu   sync.Mutex
	held []net.Conn
}

func newLeakyFront(t *testing.T, target *url.URL) *leakyFront {
	f := &leakyFront{stop: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Connection: close, so that a connection still open afterwards
		// is one Graft did not let go of.
		w.Header().Set("Connection", "close")
		mode, _ := f.mode.Load().(string)
		if mode != "" {
			_, _ = io.Copy(io.Discard, r.Body) // only then does net/http see the client hang up
		}
		switch mode {
		case "500":
			http.Error(w, "internal server error", http.StatusInternalServerError)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>gateway</html>")
		case "slow":
			select {
			case <-r.Context().Done():
			case <-f.stop:
			}
		case "hang": // headers and half a body, then nothing: only Graft can end it
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.held = append(f.held, conn)
			f.mu.Unlock()
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":")
			_ = buf.Flush()
			_, _ = io.Copy(io.Discard, conn)
			conn.Close()
			f.open.Add(-1)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	f.Config.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			f.open.Add(1)
		case http.StateClosed:
			f.open.Add(-1)
		}
	}
	f.Start()
	t.Cleanup(func() {
		close(f.stop)
		f.mu.Lock()
		for _, c := range f.held {
			c.Close()
		}
		f.mu.Unlock()
		f.Close()
	})
	return f
}

// A remote that answers 500, non-JSON, too slowly or never finishes its
// answer fails its fields (root field and join alike) with a clear error,
// and afterwards Graft holds no connection to it and no goroutine more
// than before. Not parallel: it counts the process's goroutines.
func TestRemoteFailuresLeakNothing(t *testing.T) {
	remote := startJoinRemote(t)
	target, err := url.Parse(remote.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := newLeakyFront(t, target)
	db := testenv.NewDatabase(t)
	testenv.Exec(t, db, remoteRelSQL)
	s := testenv.Start(t, db)
	mustMeta(t, s, op("pg_track_table", map[string]any{"table": "users"}))
	mustMeta(t, s, addRemote("profiles", front.URL, map[string]any{"timeout_seconds": 1}))
	mustMeta(t, s, toRemote("users", "profile", []string{"id"}, field1("profile", map[string]any{"user_id": "$id"})))
	wantData(t, s, `{ users(order_by: {id: asc}, limit: 1) { id profile { bio } } }`, nil,
		`{"users":[{"id":1,"profile":{"bio":"bio of 1"}}]}`)
	waitUntil(t, "the remote's connections closed after the warm-up", func() bool { return front.open.Load() == 0 })
	baseline := runtime.NumGoroutine()

	for _, mode := range []string{"500", "html", "slow", "hang"} {
		front.mode.Store(mode)
		for range 3 {
			wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 2) { id } p: profile(user_id: 1) { bio } }`, nil),
				`{"users":[{"id":1},{"id":2}],"p":null}`, `["p"]`, "unexpected", "")
			wantPartial(t, gql(t, s, `{ users(order_by: {id: asc}, limit: 2) { id profile { bio } } }`, nil),
				`{"users":[{"id":1,"profile":null},{"id":2,"profile":null}]}`, `["users",0,"profile"]`, "unexpected", "")
		}
	}

	deadline := time.Now().Add(15 * time.Second)
	for front.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to the remote still open", front.open.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	deadline = time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines, %d before the failing calls:\n%s", runtime.NumGoroutine(), baseline, buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	front.mode.Store("")
	wantData(t, s, `{ users(order_by: {id: asc}, limit: 1) { id profile { bio } } }`, nil,
		`{"users":[{"id":1,"profile":{"bio":"bio of 1"}}]}`)
}
