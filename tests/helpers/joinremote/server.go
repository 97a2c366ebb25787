// Package joinremote is a small GraphQL server for remote relationship
// tests and benchmarks: profiles keyed by a user id, reachable at the root
// (profile, profiles) and one level down (account.profileOf), built with
// graphql-go. It counts the requests it answers and keeps their queries,
// so a test can assert that Graft batched its joins.
package joinremote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphql-go/graphql"
)

// Server is a running remote.
type Server struct {
	URL   string
	calls atomic.Int64
	down  atomic.Bool
	mu    sync.Mutex
	log   []string // queries other than introspection
	took  []time.Duration
	srv   *http.Server
}

// Start serves the remote on addr (127.0.0.1:0 for a free port).
func Start(ctx context.Context, addr string) (*Server, error) {
	schema, err := newSchema()
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Server{URL: "http://" + ln.Addr().String() + "/graphql"}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, schema) })}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Stop ends the server.
func (s *Server) Stop() { _ = s.srv.Close() }

// SetDown makes the server answer 503 to every request but introspection.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Calls is the number of non-introspection requests answered so far.
func (s *Server) Calls() int64 { return s.calls.Load() }

// Took is how long the server spent on each non-introspection request
// (decoding, executing, encoding), in order.
func (s *Server) Took() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.took...)
}

// Queries are the non-introspection queries received, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, schema graphql.Schema) {
	start := time.Now()
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.OperationName != "IntrospectionQuery" {
		if s.down.Load() {
			http.Error(w, "remote is down", http.StatusServiceUnavailable)
			return
		}
		s.calls.Add(1)
		s.mu.Lock()
		s.log = append(s.log, req.Query)
		s.mu.Unlock()
	}
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: req.Query, VariableValues: req.Variables,
		OperationName: req.OperationName, Context: r.Context()})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
	if req.OperationName != "IntrospectionQuery" {
		s.mu.Lock()
		s.took = append(s.took, time.Since(start))
		s.mu.Unlock()
	}
}

// profile is the answer for a user id.
type profile struct {
	UserID int
	Prefix string
}

func newSchema() (graphql.Schema, error) {
	profileType := graphql.NewObject(graphql.ObjectConfig{Name: "Profile", Fields: graphql.Fields{
		"user_id": {Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) {
			return p.Source.(profile).UserID, nil
		}},
		"bio": {Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) {
			pr := p.Source.(profile)
			return fmt.Sprintf("%sbio of %d", pr.Prefix, pr.UserID), nil
		}},
		"tags": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))),
			Args: graphql.FieldConfigArgument{"limit": {Type: graphql.Int}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id := p.Source.(profile).UserID
				tags := []string{fmt.Sprintf("t%da", id), fmt.Sprintf("t%db", id)}
				if l, ok := p.Args["limit"].(int); ok && l < len(tags) {
					tags = tags[:l]
				}
				return tags, nil
			}},
	}})
	byID := func(p graphql.ResolveParams) (any, error) {
		id, _ := p.Args["user_id"].(int)
		if id <= 0 {
			return nil, nil // no such user
		}
		prefix, _ := p.Args["prefix"].(string)
		return profile{UserID: id, Prefix: prefix}, nil
	}
	account := graphql.NewObject(graphql.ObjectConfig{Name: "Account", Fields: graphql.Fields{
		"profileOf": {Type: profileType, Resolve: byID, Args: graphql.FieldConfigArgument{
			"user_id": {Type: graphql.NewNonNull(graphql.Int)}, "prefix": {Type: graphql.String}}},
	}})
	intEq := graphql.NewInputObject(graphql.InputObjectConfig{Name: "IntEq", Fields: graphql.InputObjectConfigFieldMap{
		"eq": {Type: graphql.NewNonNull(graphql.Int)}}})
	where := graphql.NewInputObject(graphql.InputObjectConfig{Name: "ProfileWhere", Fields: graphql.InputObjectConfigFieldMap{
		"user_id": {Type: graphql.NewNonNull(intEq)}}})
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"profileBy": {Type: profileType, Args: graphql.FieldConfigArgument{"where": {Type: graphql.NewNonNull(where)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				w, _ := p.Args["where"].(map[string]any)
				eq, _ := w["user_id"].(map[string]any)
				id, _ := eq["eq"].(int)
				return profile{UserID: id}, nil
			}},
		"profile": {Type: profileType, Resolve: byID, Args: graphql.FieldConfigArgument{
			"user_id": {Type: graphql.NewNonNull(graphql.Int)}, "prefix": {Type: graphql.String}}},
		"profiles": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(profileType))),
			Args: graphql.FieldConfigArgument{"user_ids": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.Int)))}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				var out []profile
				for _, id := range p.Args["user_ids"].([]any) {
					out = append(out, profile{UserID: id.(int)})
				}
				return out, nil
			}},
		"account": {Type: account, Resolve: func(graphql.ResolveParams) (any, error) { return struct{}{}, nil }},
		"failing": {Type: graphql.String, Args: graphql.FieldConfigArgument{"user_id": {Type: graphql.Int}},
			Resolve: func(graphql.ResolveParams) (any, error) { return nil, errors.New("profile service failed") }},
	}})
	return graphql.NewSchema(graphql.SchemaConfig{Query: query})
}
