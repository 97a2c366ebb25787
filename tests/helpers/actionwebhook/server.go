// Package actionwebhook is the action webhook of the conformance corpus
// (HELPERS.md section A) in Go: the handlers Hasura's action tests call,
// with the exact reply formats, some calling back into the engine.
package actionwebhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Server is a running action webhook.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}

	mu          sync.Mutex
	engineURL   string
	adminSecret string
	client      *http.Client
}

// Start listens on addr (e.g. "127.0.0.1:5593"; ":0" picks a port) and
// serves until ctx ends or Stop is called. engineURL is where call-backs
// go (<engineURL>/v1/graphql), with adminSecret when it is not empty.
func Start(ctx context.Context, addr, engineURL, adminSecret string) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("action webhook listen on %s: %w", addr, err)
	}
	s := &Server{ln: ln, done: make(chan struct{}), engineURL: engineURL, adminSecret: adminSecret,
		client: &http.Client{Timeout: 60 * time.Second}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Stop()
		case <-s.done:
		}
	}()
	return s, nil
}

// URL is the base URL handlers are under, e.g. http://127.0.0.1:5593.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// SetEngine points call-backs at another engine.
func (s *Server) SetEngine(engineURL, adminSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.engineURL, s.adminSecret = engineURL, adminSecret
}

// Stop closes the listener and waits for handlers in flight (at most 5 s:
// /create-user-timeout sleeps 3 s).
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// payload is what the engine POSTs to a handler.
type payload struct {
	Action struct {
		Name string `json:"name"`
	} `json:"action"`
	Input            map[string]json.RawMessage `json:"input"`
	SessionVariables map[string]string          `json:"session_variables"`
	RequestQuery     string                     `json:"request_query"`
}

// reply is a handler's answer: a status and a JSON body.
type reply struct {
	status int
	body   json.RawMessage
}

func ok(body string) reply { return reply{status: http.StatusOK, body: json.RawMessage(body)} }

func errReply(message, code string) reply {
	b, _ := json.Marshal(map[string]string{"message": message, "code": code})
	return reply{status: http.StatusBadRequest, body: b}
}

// callbackFailed is the reply when a call-back into the engine fails.
var callbackFailed = errReply("GraphQL query execution failed", "unexpected")

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		w.WriteHeader(http.StatusOK)
		return
	}
	h := handlers[r.URL.Path]
	if r.Method != http.MethodPost || h == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var p payload
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	res := h(s, r, &p)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Set-Cookie", "abcd")
	w.WriteHeader(res.status)
	if res.body == nil {
		res.body = json.RawMessage("null")
	}
	_, _ = w.Write(res.body)
}

// headersReply lists the request's headers as {"headers":[{name,value}]}.
// Go's server keeps no arrival order, so names come sorted, canonicalized.
func headersReply(r *http.Request) reply {
	type header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	names := make([]string, 0, len(r.Header))
	for n := range r.Header {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []header{}
	if r.Host != "" {
		out = append(out, header{"Host", r.Host})
	}
	for _, n := range names {
		for _, v := range r.Header[n] {
			out = append(out, header{n, v})
		}
	}
	b, _ := json.Marshal(map[string]any{"headers": out})
	return reply{status: http.StatusOK, body: b}
}

// graphql posts a query to the engine and returns its data, or an error
// when the status is not 200 or there is no data.
func (s *Server) graphql(ctx context.Context, query string, vars any) (map[string]json.RawMessage, error) {
	s.mu.Lock()
	engine, secret := s.engineURL, s.adminSecret
	s.mu.Unlock()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, fmt.Errorf("encode call-back: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, engine+"/v1/graphql", bytesReader(body))
	if err != nil {
		return nil, fmt.Errorf("call-back request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Hasura-Admin-Secret", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call back %s: %w", engine, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read call-back reply: %w", err)
	}
	var out struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.Data == nil {
		return nil, errors.New("call-back failed: " + string(raw))
	}
	return out.Data, nil
}
