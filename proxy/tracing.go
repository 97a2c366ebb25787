package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/tracing"
)

// traced gives every HTTP request a server span, under the trace of the
// caller's traceparent when it sends one, failed when the response is an
// error. Off, it only checks a flag.
func traced(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A WebSocket's span would last as long as the connection.
		if !tracing.Enabled() || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, span := tracing.StartRequest(r)
		defer func() {
			// logRequests, outside, records the response (and recovers
			// a panic, answered 500, after this span ended).
			if rec, ok := w.(*statusRecorder); ok && rec.errorHead != nil {
				tracing.End(span, responseError(rec.status, rec.errorHead))
				return
			}
			span.End()
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// responseError is an error response's first message, as the request
// span's status: a GraphQL error's, or the admin API's error.
func responseError(status int, head []byte) error {
	var body struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Error string `json:"error"`
	}
	if json.Unmarshal(head, &body) == nil {
		if len(body.Errors) > 0 && body.Errors[0].Message != "" {
			return errors.New(body.Errors[0].Message)
		}
		if body.Error != "" {
			return errors.New(body.Error)
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	return fmt.Errorf("error response (HTTP %d)", status)
}

// startTracing applies the opentelemetry metadata (or the OTEL_* variables)
// now and again whenever a metadata change alters it.
func (a *App) startTracing(ctx context.Context) {
	a.Tracing.Log = a.Log
	var mu sync.Mutex
	last := otelMetadata(a.Meta.Snapshot())
	if err := a.Tracing.ApplyMetadata(ctx, last, os.Getenv); err != nil {
		// A bad exporter setting must not keep Graft from serving.
		a.Log.Warn("opentelemetry: traces are not exported", "type", "startup", "error", err)
	}
	a.Meta.OnChange(func(s *metadata.Snapshot) {
		raw := otelMetadata(s)
		mu.Lock()
		same := string(raw) == string(last)
		last = raw
		mu.Unlock()
		if same {
			return
		}
		// OnChange holds metadata changes back: flushing the previous
		// exporter may take a while, so it happens outside.
		go func() {
			if err := a.Tracing.ApplyMetadata(context.WithoutCancel(ctx), raw, os.Getenv); err != nil {
				a.Log.Warn("opentelemetry: traces are not exported", "error", err)
			}
		}()
	})
}

func otelMetadata(s *metadata.Snapshot) json.RawMessage {
	if s == nil || s.Metadata == nil {
		return nil
	}
	return s.Metadata.OpenTelemetry
}
