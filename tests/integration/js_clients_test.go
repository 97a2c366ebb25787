package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
)

// jsClientsDir holds the npm clients; `npm ci` installs them on first use.
const jsClientsDir = "js"

func requireNodeClients(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the JavaScript client tests need Node.js and npm")
	}
	if _, err := os.Stat(filepath.Join(jsClientsDir, "node_modules", ".package-lock.json")); err == nil {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = jsClientsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
}

type jsEvent struct {
	Client string          `json:"client"`
	Data   json.RawMessage `json:"data"`
	Errors json.RawMessage `json:"errors"`
	Error  string          `json:"error"`
}

// TestJSClientsSubscribe drives graphql-ws, subscriptions-transport-ws and
// @apollo/client against Graft: first result, a push after a plain SQL
// write, nothing for an unrelated table, and rows limited by the role.
func TestJSClientsSubscribe(t *testing.T) {
	t.Parallel()
	requireNodeClients(t)
	db := testenv.NewDatabase(t)
	// Plain-SQL writes reach live queries from the WAL; the fallback refetch
	// stays at testenv's 60 s, so every push below is WAL-driven.
	s := testenv.Start(t, db, testenv.Options{WALMode: "always"})
	s.RunSQL(`CREATE TABLE msg (id serial PRIMARY KEY, room text NOT NULL, body text NOT NULL);
	          CREATE TABLE other (id serial PRIMARY KEY)`)
	s.Metadata(map[string]any{"type": "bulk", "args": []any{
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "msg"}},
		map[string]any{"type": "pg_track_table", "args": map[string]any{"table": "other"}},
		perm("select", "msg", "member", map[string]any{"columns": []string{"id", "body"}, "filter": map[string]any{"room": map[string]any{"_eq": "X-Hasura-Room"}}}),
	}})
	cmd := exec.Command("node", "clients.mjs", "ws"+strings.TrimPrefix(s.URL, "http")+"/v1/graphql", testenv.AdminSecret)
	cmd.Dir = jsClientsDir
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	events := make(chan jsEvent, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e jsEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				events <- e
			}
		}
		close(events)
	}()
	// next returns each client's next result within a deadline.
	next := func(want map[string]string) {
		t.Helper()
		got := map[string]bool{}
		deadline := time.After(20 * time.Second)
		for len(got) < len(want) {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("the node clients exited")
				}
				if e.Error != "" || len(e.Errors) > 0 {
					t.Fatalf("%s: error %s %s", e.Client, e.Error, e.Errors)
				}
				if got[e.Client] {
					t.Fatalf("%s pushed twice: %s", e.Client, e.Data)
				}
				mustBody(t, &testenv.Response{Body: e.Data}, want[e.Client])
				got[e.Client] = true
			case <-deadline:
				t.Fatalf("waiting for %v, got %v", want, got)
			}
		}
	}
	empty := `{"msg":[]}`
	next(map[string]string{"graphql-ws": empty, "subscriptions-transport-ws": empty, "@apollo/client": empty})
	// An unrelated table changes: nothing is pushed, so the next results
	// are the ones for the msg rows.
	testenv.Exec(t, db, `INSERT INTO other DEFAULT VALUES`)
	testenv.Exec(t, db, `INSERT INTO msg (room, body) VALUES ('a', 'a1'), ('b', 'b1')`)
	both := `{"msg":[{"body":"a1"},{"body":"b1"}]}`
	// Apollo adds __typename to every selection on its own.
	typed := `{"msg":[{"body":"a1","__typename":"msg"},{"body":"b1","__typename":"msg"}]}`
	next(map[string]string{"graphql-ws": `{"msg":[{"body":"a1"}]}`, "subscriptions-transport-ws": both, "@apollo/client": typed})
}
