package conformance

import (
	"context"
	"fmt"
	"net/url"

	"github.com/graftql/graft/tests/helpers/remotegql"
)

// The names of helpers B and C in MANIFEST `helpers` values.
const (
	pythonGraphQLHelper = "python graphql server"
	permsGraphQLHelper  = "node remote_schema_perms.js server"
)

// startRemoteGraphQLHelpers starts the GraphQL servers of HELPERS.md B and C
// on remoteSchemasURL and graphqlService1URL when a selected case needs
// them, and returns the function that stops them. A port already taken
// (another run) is reported, not fatal: those cases fail.
func startRemoteGraphQLHelpers(ctx context.Context, s *suite) (stop func()) {
	var started []*remotegql.Server
	for _, h := range []struct {
		name, base string
		start      func(context.Context, string) (*remotegql.Server, error)
	}{
		{pythonGraphQLHelper, remoteSchemasURL, remotegql.StartPython},
		{permsGraphQLHelper, graphqlService1URL, remotegql.StartPerms},
	} {
		if !needsHelper(s, h.name) {
			continue
		}
		u, err := url.Parse(h.base)
		if err != nil {
			continue
		}
		srv, err := h.start(ctx, u.Host)
		if err != nil {
			fmt.Printf("conformance: %s not started: %v\n", h.name, err)
			continue
		}
		started = append(started, srv)
	}
	return func() {
		for _, srv := range started {
			srv.Stop()
		}
	}
}
