// Package proxy is Graft's front door: the HTTP server for GraphQL, the
// metadata and query APIs, health and version.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/dataapi"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/proxy/console"
	"github.com/graftql/graft/proxy/cors"
	"github.com/graftql/graft/proxy/guard"
	"github.com/graftql/graft/proxy/metrics"
)

// Version is set at build time.
var Version = "v0.1.0-dev"

// maxBody bounds request bodies; a larger one is refused rather than buffered.
const maxBody = 64 << 20

// chunkingSize is how much of a response net/http buffers before it gives
// up on computing Content-Length itself and sends the body chunked.
const chunkingSize = 2048

// Server serves Graft's HTTP API.
type Server struct {
	Addr   string
	Engine *graphql.Engine
	Meta   *metadata.Manager
	Auth   *authz.Resolver
	Log    *slog.Logger
	// Health adds the WAL reader's state to /healthz?detail; nil without one.
	Health func(ctx context.Context) map[string]any
	// HTTPLog writes an http-log line's detail; nil when that log type is off.
	HTTPLog func(detail []byte)
	// CORS decides CORS headers and WebSocket origins; nil allows every origin.
	CORS *cors.Policy
	// APIs are the API groups served (HASURA_GRAPHQL_ENABLED_APIS); nil: all.
	APIs map[string]bool
	// Guard applies the allow list and API limits; nil: none.
	Guard *guard.Guard
	// Data serves the data commands of /v1/query and /v2/query for any
	// role; nil: they go to Meta, admin only.
	Data *dataapi.Handler
	// Metrics counts requests and serves /v1/metrics; nil: neither.
	Metrics *metrics.Metrics
	// Untraced handlers start no spans, whatever the tracing settings (a
	// benchmark's baseline beside a traced handler in one process).
	Untraced bool
	// Console serves the web console at /console, and redirects / there
	// (HASURA_GRAPHQL_ENABLE_CONSOLE).
	Console bool

	srv *http.Server
	ln  net.Listener
	// sockets are the open WebSocket connections, closed by Stop.
	sockets sync.Map // *wsConn -> struct{}
}

// Start listens and serves in the background.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// ListenAddr is the address actually bound (useful with port 0).
func (s *Server) ListenAddr() string {
	if s.ln == nil {
		return s.Addr
	}
	return s.ln.Addr().String()
}

// Stop finishes in-flight requests until ctx ends.
func (s *Server) Stop(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	s.sockets.Range(func(k, _ any) bool {
		k.(*wsConn).shutdown(websocket.CloseGoingAway, "server shutting down")
		return true
	})
	return err
}

// Handler routes Graft's endpoints: those of the enabled APIs, as Hasura
// (explain belongs to metadata there), health and version always. Anything
// else, a disabled API included, answers Hasura's 404. CORS comes before
// routing, so a preflight is answered for any path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.enabled("graphql") {
		mux.HandleFunc("GET /v1/graphql", s.websocket)
		mux.HandleFunc("GET /v1alpha1/graphql", s.websocket)
		mux.HandleFunc("POST /v1/graphql", s.graphql(false))
		mux.HandleFunc("POST /v1alpha1/graphql", s.graphql(true))
		mux.HandleFunc("POST "+relayPath, s.graphql(false))
		mux.HandleFunc("GET "+relayPath, s.websocket)
	}
	if s.enabled("metadata") {
		mux.HandleFunc("POST /v1/graphql/explain", s.explain)
		mux.HandleFunc("POST /v1/metadata", s.admin(metadata.EndpointMetadata))
		mux.HandleFunc("POST /v1/query", s.admin(metadata.EndpointQueryV1))
		mux.HandleFunc("POST /v2/query", s.admin(metadata.EndpointQueryV2))
	}
	if s.enabled("pgdump") {
		mux.HandleFunc("POST /v1alpha1/pg_dump", s.pgDump)
	}
	if s.enabled("metrics") && s.Metrics != nil {
		mux.Handle("GET /v1/metrics", s.Metrics.Handler())
	}
	if s.Console && s.enabled("metadata") { // as Hasura: the console needs the metadata API
		console.Mount(mux)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /v1/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"version": Version})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, &metadata.APIError{Status: 404, Code: "not-found", Path: "$", Message: "resource does not exist"})
	})
	var h http.Handler = mux
	if s.Guard != nil {
		h = s.withClientIP(h)
	}
	if s.CORS != nil {
		h = s.CORS.Handler(h)
	} else {
		h = cors.AllowAll().Handler(h)
	}
	if !s.Untraced {
		h = traced(h)
	}
	return s.logRequests(h)
}

func (s *Server) enabled(api string) bool { return s.APIs == nil || s.APIs[api] }

// withClientIP records the client's address for rate limits keyed by IP,
// only while one is configured (it costs a request copy): the first
// X-Forwarded-For address, else X-Real-IP, else the peer, as Hasura's
// getSourceFromFallback.
func (s *Server) withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Guard.NeedsClientIP() {
			next.ServeHTTP(w, r)
			return
		}
		ip := strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-For"), ",")[0])
		if ip == "" {
			ip = strings.TrimSpace(r.Header.Get("X-Real-IP"))
		}
		if ip == "" {
			ip = r.RemoteAddr
			if host, _, err := net.SplitHostPort(ip); err == nil {
				ip = host
			}
		}
		next.ServeHTTP(w, r.WithContext(guard.WithClientIP(r.Context(), ip)))
	})
}

func (s *Server) graphql(legacy bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeGraphQLError(w, 400, "bad-request", "request body too large or unreadable")
			return
		}
		sess, err := s.Auth.ResolveRequest(r.Context(), r.Header, body)
		if err != nil {
			ae := authError(err)
			status := 200
			if legacy {
				status = ae.Status
			}
			writeGraphQLError(w, status, ae.Code, ae.Message)
			return
		}
		if s.Guard != nil {
			if err := s.Guard.CheckBatch(sess, body); err != nil {
				status := 200
				if legacy {
					status = 400
				}
				writeJSON(w, status, json.RawMessage(graphql.ErrorBody(err)))
				return
			}
		}
		exchange := &graphql.HTTPExchange{Request: r.Header}
		res, isJSON := s.engineFor(r).ExecuteJSONBody(graphql.WithHTTPExchange(r.Context(), exchange), sess, body)
		copyHeaders(w.Header(), exchange.ResponseHeaders())
		if !isJSON {
			// Hasura answers a body that is not JSON at all with invalid-json
			// (HTTP 200 on /v1/graphql, 400 on /v1alpha1/graphql).
			status := 200
			if legacy {
				status = 400
			}
			writeGraphQLError(w, status, "invalid-json", "Error in $: Failed reading: not a valid json value")
			return
		}
		status := 200
		if legacy && res.RequestError {
			status = 400
		}
		w.Header()["Content-Type"] = jsonContentType
		if len(res.Body) > chunkingSize {
			// net/http would send it chunked: the length is known, say it.
			w.Header()["Content-Length"] = []string{strconv.Itoa(len(res.Body))}
		}
		w.WriteHeader(status)
		w.Write(res.Body)
	}
}

// readBody reads a request body of at most maxBody bytes. With a
// Content-Length (the usual case) it reads into one buffer of that size
// instead of growing one as io.ReadAll does.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= maxBody {
		body := make([]byte, n)
		_, err := io.ReadFull(r.Body, body)
		return body, err
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
}

func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	sess, err := s.Auth.Resolve(r.Header)
	if err == nil && !sess.IsAdmin() {
		err = &authz.Error{Status: 400, Code: "access-denied", Message: "restricted access : admin only"}
	}
	if err != nil {
		ae := authError(err)
		writeAdminError(w, &metadata.APIError{Status: ae.Status, Code: ae.Code, Path: "$", Message: ae.Message})
		return
	}
	var req graphql.ExplainRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeAdminError(w, &metadata.APIError{Status: 400, Code: "parse-failed", Path: "$", Message: err.Error()})
		return
	}
	explainSess := authz.Session{Role: authz.AdminRole, Vars: map[string]string{}}
	for k, v := range req.User {
		explainSess.Vars[toLower(k)] = v
	}
	if role := explainSess.Vars["x-hasura-role"]; role != "" {
		explainSess.Role = role
		delete(explainSess.Vars, "x-hasura-role")
	}
	out, errBody := s.Engine.Explain(r.Context(), explainSess, &req.Query)
	if errBody != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write(errBody)
		return
	}
	writeJSON(w, 200, out)
}

func (s *Server) admin(endpoint string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.Auth.ResolveRequest(r.Context(), r.Header, nil)
		if err != nil {
			ae := authError(err)
			writeAdminError(w, &metadata.APIError{Status: ae.Status, Code: ae.Code, Path: "$", Message: ae.Message})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeAdminError(w, &metadata.APIError{Status: 400, Code: "bad-request", Path: "$", Message: "request body too large or unreadable"})
			return
		}
		// Data commands run with the caller's role; everything else is admin only.
		data := s.Data != nil && endpoint != metadata.EndpointMetadata && dataapi.IsDataRequest(body)
		if !data && !sess.IsAdmin() {
			writeAdminError(w, &metadata.APIError{Status: 400, Code: "access-denied", Path: "$.args", Message: "restricted access : admin only"})
			return
		}
		var res any
		if data {
			res, err = s.Data.Handle(r.Context(), sess, body)
		} else {
			res, err = s.Meta.Handle(r.Context(), endpoint, body)
		}
		if err != nil {
			ae := metadata.AsAPIError(err)
			if ae.Status >= 500 {
				s.Log.Error("admin request failed", "type", "http-log", "error", err)
			}
			writeAdminError(w, ae)
			return
		}
		writeJSON(w, 200, res)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	snap := s.Meta.Snapshot()
	if r.URL.Query().Has("detail") {
		s.healthDetail(w, r, snap)
		return
	}
	if snap != nil && len(snap.Inconsistent) > 0 {
		w.WriteHeader(200)
		io.WriteString(w, "WARN: inconsistent objects in schema")
		return
	}
	io.WriteString(w, "OK")
}

// authError is a session failure as an authz.Error (any other error is unexpected).
func authError(err error) *authz.Error {
	var ae *authz.Error
	if errors.As(err, &ae) {
		return ae
	}
	return &authz.Error{Status: 500, Code: "unexpected", Message: err.Error()}
}

// jsonContentType is the Content-Type of every JSON response, one shared
// slice: net/http only reads it.
var jsonContentType = []string{"application/json; charset=utf-8"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []any{map[string]any{
		"message": msg, "extensions": map[string]any{"path": "$", "code": code}}}})
}

func writeAdminError(w http.ResponseWriter, e *metadata.APIError) {
	body := map[string]any{"path": e.Path, "error": e.Message, "code": e.Code}
	if e.Internal != nil {
		body["internal"] = e.Internal
	}
	writeJSON(w, e.Status, body)
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// healthDetail is /healthz?detail: Graft's own JSON status (plain /healthz
// stays Hasura's "OK"): metadata consistency, the metadata objects Graft
// keeps but does not act on (not_served), and the WAL reader's position,
// lag and retained WAL, so operators can alert before a stopped consumer
// fills the disk.
func (s *Server) healthDetail(w http.ResponseWriter, r *http.Request, snap *metadata.Snapshot) {
	out := map[string]any{"status": "OK"}
	if snap != nil {
		// not_served does not make the status WARN: Graft runs as configured,
		// it only keeps some objects without acting on them.
		notServed := snap.NotServed
		if notServed == nil {
			notServed = []metadata.Warning{}
		}
		out["metadata"] = map[string]any{"resource_version": snap.Version, "consistent": len(snap.Inconsistent) == 0,
			"inconsistent_objects": len(snap.Inconsistent), "not_served": notServed}
		if len(snap.Inconsistent) > 0 {
			out["status"] = "WARN"
		}
	}
	if s.Health != nil {
		for k, v := range s.Health(r.Context()) {
			out[k] = v
		}
	}
	writeJSON(w, 200, out)
}
