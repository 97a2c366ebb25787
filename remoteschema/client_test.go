package remoteschema

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A remote answering more than maxResponse bytes is an http_exception
// naming the bound, not a truncated body read as broken JSON.
func TestPostRefusesAnOversizedAnswer(t *testing.T) {
	old := maxResponse
	maxResponse = 1 << 10
	t.Cleanup(func() { maxResponse = old })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"s":"` + strings.Repeat("x", 2<<10) + `"}}`))
	}))
	defer srv.Close()
	ep := endpoint{display: srv.URL, url: srv.URL, timeout: 5 * time.Second}
	_, err := post(context.Background(), srv.Client(), ep, http.Header{}, []byte(`{"query":"{ s }"}`))
	var he *httpError
	if !errors.As(err, &he) {
		t.Fatalf("want an httpError, got %v", err)
	}
	if msg := he.internal()["message"]; msg != "the response is larger than 1024 bytes" {
		t.Fatalf("internal message %q", msg)
	}
	// At the bound itself the answer is read whole.
	maxResponse = 1 << 20
	r, err := post(context.Background(), srv.Client(), ep, http.Header{}, []byte(`{"query":"{ s }"}`))
	if err != nil || !strings.HasSuffix(string(r.body), `"}}`) {
		t.Fatalf("answer under the bound: %v", err)
	}
	r.finish(nil)
}
