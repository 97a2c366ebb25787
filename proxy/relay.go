package proxy

import (
	"net/http"

	"github.com/graftql/graft/graphql"
)

// relayPath serves Hasura's Relay API: the GraphQL endpoint's protocol over
// a role's Relay schema (graphql.Engine.Relay).
const relayPath = "/v1beta1/relay"

// engineFor is the engine a GraphQL request goes to: the Relay one for the
// Relay endpoint, else the main one.
func (s *Server) engineFor(r *http.Request) *graphql.Engine {
	if r.URL.Path == relayPath {
		return s.Engine.Relay()
	}
	return s.Engine
}
