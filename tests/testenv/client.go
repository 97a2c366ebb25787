package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/graftql/graft/proxy"
)

// Server is a running in-process Graft.
type Server struct {
	App  *proxy.App
	URL  string
	Slot string // the replication slot and publication name (Options.SlotName to share it)
	t    testing.TB
}

var client = &http.Client{Timeout: 30 * time.Second}

// Response is an HTTP response with its body read.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into a generic value (numbers as json.Number).
func (r *Response) JSON(t testing.TB) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.Body)
	}
	return v
}

// Post sends body (a string, []byte or a value to encode) to path with headers.
func (s *Server) Post(path string, body any, headers map[string]string) *Response {
	s.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			s.t.Fatalf("encode body: %v", err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(raw))
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return s.do(req)
}

// Get fetches path.
func (s *Server) Get(path string) *Response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	return s.do(req)
}

func (s *Server) do(req *http.Request) *Response {
	s.t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("read body: %v", err)
	}
	return &Response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// Admin returns the admin-secret header.
func Admin() map[string]string { return map[string]string{"X-Hasura-Admin-Secret": AdminSecret} }

// Metadata posts an admin body to /v1/metadata as admin and fails the test
// unless it answers 200.
func (s *Server) Metadata(body any) *Response {
	s.t.Helper()
	r := s.Post("/v1/metadata", body, Admin())
	if r.Status != 200 {
		s.t.Fatalf("/v1/metadata %v: status %d: %s", body, r.Status, r.Body)
	}
	return r
}

// Query posts an admin body to /v2/query (run_sql etc.) as admin, requiring 200.
func (s *Server) Query(body any) *Response {
	s.t.Helper()
	r := s.Post("/v2/query", body, Admin())
	if r.Status != 200 {
		s.t.Fatalf("/v2/query %v: status %d: %s", body, r.Status, r.Body)
	}
	return r
}

// RunSQL runs SQL through run_sql, so the metadata sees the DDL at once.
func (s *Server) RunSQL(sql string) *Response {
	s.t.Helper()
	return s.Query(map[string]any{"type": "run_sql", "args": map[string]any{"sql": sql}})
}

// GraphQL posts a query as admin (plus extra headers) to /v1/graphql.
func (s *Server) GraphQL(query string, variables map[string]any, headers ...map[string]string) *Response {
	s.t.Helper()
	h := Admin()
	for _, extra := range headers {
		for k, v := range extra {
			h[k] = v
		}
	}
	body := map[string]any{"query": query}
	if variables != nil {
		body["variables"] = variables
	}
	return s.Post("/v1/graphql", body, h)
}
