// Package remotegql holds the GraphQL servers the remote-schema corpus
// talks to (HELPERS.md sections B and C), in Go on graphql-go: the Python
// graphql_server.py with every path, including the ones whose
// introspection is broken on purpose, and the Node remote_schema_perms.js.
// Integration tests and the conformance runner start them.
package remotegql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/graphql-go/graphql"
)

// Server is one running helper: Python-style (B) or Node-style (C).
type Server struct {
	srv  *http.Server
	URL  string // http://host:port, no trailing slash
	done chan struct{}
}

// StartPython starts server B on addr ("localhost:5000"; ":0" for any port).
func StartPython(ctx context.Context, addr string) (*Server, error) {
	return start(ctx, addr, NewPythonHandler())
}

// StartPerms starts server C on addr ("localhost:4020"; ":0" for any port).
func StartPerms(ctx context.Context, addr string) (*Server, error) {
	return start(ctx, addr, NewPermsHandler())
}

func start(ctx context.Context, addr string, h http.Handler) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("remotegql: serve %s: %v\n", addr, err)
		}
	}()
	return s, nil
}

// Stop closes the listener; handlers in flight get 2 s (delayedHello
// sleeps 10 s, and a test stopping the server does not wait for it).
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// request is the part of a GraphQL request body the helpers read.
type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// endpoint is one GraphQL path of server B.
type endpoint struct {
	schema graphql.Schema
	// useVariables: the path executes with the request's variables (only
	// /character-iface-graphql in the Python server does).
	useVariables bool
	// editIntrospection rewrites an introspection result before it is sent.
	editIntrospection func(schema map[string]any)
	// reply adjusts a non-introspection reply (echo, extensions).
	reply func(raw []byte, result map[string]any)
	// headers are extra reply headers (Set-Cookie, Custom-Header).
	headers [][2]string
	// check may fail the request's resolvers by what it carries (headers).
	withRequest bool
}

type ctxKey struct{}

// requestOf returns the HTTP request a resolver runs for.
func requestOf(ctx context.Context) *http.Request {
	r, _ := ctx.Value(ctxKey{}).(*http.Request)
	return r
}

func corsHeaders(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "None"
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	w.Header().Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
}

// serveGraphQL applies the Python server's transport rules to one path.
func serveGraphQL(w http.ResponseWriter, r *http.Request, ep *endpoint) {
	switch r.Method {
	case http.MethodOptions:
		corsHeaders(w, r)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil || req.Query == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	params := graphql.Params{Schema: ep.schema, RequestString: req.Query, Context: context.WithValue(r.Context(), ctxKey{}, r)}
	if ep.useVariables {
		params.VariableValues, params.OperationName = req.Variables, req.OperationName
	}
	result := graphql.Do(params)
	out := resultMap(result)
	if data, ok := out["data"].(map[string]any); ok && data["__schema"] != nil {
		if ep.editIntrospection != nil {
			if s, ok := data["__schema"].(map[string]any); ok {
				ep.editIntrospection(s)
			}
		}
	} else if ep.reply != nil {
		ep.reply(raw, out)
	}
	corsHeaders(w, r)
	w.Header().Set("Content-Type", "application/json")
	for _, h := range ep.headers {
		w.Header().Add(h[0], h[1])
	}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out)
}

// resultMap turns a graphql-go result into plain JSON values, so the
// introspection edits can work on maps and lists.
func resultMap(res *graphql.Result) map[string]any {
	b, _ := json.Marshal(res)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	if _, ok := out["data"]; !ok && len(res.Errors) == 0 {
		out["data"] = nil
	}
	return out
}
