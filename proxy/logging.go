package proxy

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"time"
)

type statusRecorder struct {
	http.ResponseWriter
	status int
	size   int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	n, err := r.ResponseWriter.Write(b)
	r.size += n
	return n, err
}

// logRequests writes one http-log line per request, as Hasura does. Bodies
// and headers are not logged: they may carry tokens and secrets.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			// A bug must cost one request an error, not the connection.
			if p := recover(); p != nil {
				s.Log.Error("request panicked", "type", "http-log", "url", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeGraphQLError(rec, http.StatusInternalServerError, "unexpected", "internal error")
				}
			}
		}()
		next.ServeHTTP(rec, r)
		s.Log.Info("", "type", "http-log",
			"http_info", map[string]any{"status": rec.status, "method": r.Method, "url": r.URL.Path,
				"ip": r.RemoteAddr, "http_version": r.Proto},
			"operation", map[string]any{"response_size": rec.size, "query_execution_time": time.Since(start).Seconds()})
	})
}
