package integration

import (
	"context"
	"testing"

	"github.com/graftql/graft/tests/helpers/remotegql"
)

// startPythonRemote starts the corpus's Python-style GraphQL server
// (HELPERS.md B) on a free port until the test ends.
func startPythonRemote(t testing.TB) *remotegql.Server {
	t.Helper()
	srv, err := remotegql.StartPython(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// addRemote adds remote schema name at url with extra definition keys.
func addRemote(name, url string, extra map[string]any) map[string]any {
	def := map[string]any{"url": url}
	for k, v := range extra {
		def[k] = v
	}
	return op("add_remote_schema", map[string]any{"name": name, "definition": def})
}
