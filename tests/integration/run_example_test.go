package integration

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// TestMakeRunKeepsChangesAndServesUsers runs scripts/run-example.sh (what
// `make run` runs) three times on a database of its own: the first run
// applies the example metadata and the user instructions it prints work as
// printed; a metadata change made through the API survives a restart; RESET=1
// brings the example back.
func TestMakeRunKeepsChangesAndServesUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs make run's script three times (builds bin/graft)")
	}
	root := runExamplePrerequisites(t)
	db := "graft_example_test_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	port := freePort(t)
	t.Cleanup(func() { dropExampleDatabase(t, db) })
	srv := &testenv.Server{URL: "http://127.0.0.1:" + port}
	const products = `{ products(limit: 1) { id } }`

	// 1. A new database: the example metadata is applied.
	out := startRunExample(t, root, db, port, "")
	if !strings.Contains(out.String(), "configs/examples/metadata.json (new database)") {
		t.Fatalf("first run did not apply the example metadata:\n%s", out)
	}
	token := runPrintedUserCommands(t, root, out.String())
	asUser := map[string]string{"Authorization": "Bearer " + token}
	r := post(t, srv, "/v1/graphql", map[string]any{"query": `{ documents(order_by: {id: asc}) { id org_id } projects(order_by: {id: asc}) { org_id } users(where: {id: {_eq: 2}}) { id } }`}, asUser)
	wantOrdered(t, r.Body, `{"data":{"documents":[{"id":1,"org_id":1}],"projects":[{"org_id":1},{"org_id":1},{"org_id":1}],"users":[]}}`)
	wantOrdered(t, post(t, srv, "/v1/graphql", map[string]any{"query": products}, asUser).Body, `{"data":{"products":[{"id":1}]}}`)
	subscribeWhileInserting(t, root, srv, token)
	mustMeta(t, srv, op("pg_drop_select_permission", map[string]any{"table": "products", "role": "user"}))
	wantGQLError(t, post(t, srv, "/v1/graphql", map[string]any{"query": products}, asUser), "validation-failed", "", `field "products" not found`)
	out.stop(t)

	// 2. A restart keeps the metadata and the data.
	out = startRunExample(t, root, db, port, "")
	if !strings.Contains(out.String(), "Metadata         : kept from earlier runs") {
		t.Fatalf("second run does not say it kept the metadata:\n%s", out)
	}
	wantGQLError(t, post(t, srv, "/v1/graphql", map[string]any{"query": products}, asUser), "validation-failed", "", `field "products" not found`)
	r = post(t, srv, "/v1/graphql", map[string]any{"query": `{ posts(where: {body: {_eq: "posted by the test"}}) { author_id } }`}, asUser)
	wantOrdered(t, r.Body, `{"data":{"posts":[{"author_id":1}]}}`)
	out.stop(t)

	// 3. RESET=1: the example schema, data and metadata again.
	out = startRunExample(t, root, db, port, "1")
	if !strings.Contains(out.String(), "configs/examples/metadata.json (new database)") {
		t.Fatalf("RESET=1 did not apply the example metadata:\n%s", out)
	}
	r = post(t, srv, "/v1/graphql", map[string]any{"query": `{ products(limit: 1) { id } posts(where: {body: {_eq: "posted by the test"}}) { id } }`}, asUser)
	wantOrdered(t, r.Body, `{"data":{"products":[{"id":1}],"posts":[]}}`)
	out.stop(t)
}

// runExamplePrerequisites skips unless the script can run here and would
// serve the same dev stack the tests use; it returns the repository root.
func runExamplePrerequisites(t *testing.T) string {
	dbURL := testenv.RequireDatabase(t)
	for _, tool := range []string{"bash", "psql", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s is not in PATH; scripts/run-example.sh needs it", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(root, ".graft/dev/env"))
	if err != nil || !strings.Contains(string(env), "\nDATABASE_URL="+dbURL+"\n") {
		t.Skipf("SKIP: DATABASE_URL is not the dev stack's (.graft/dev/env): scripts/run-example.sh always serves the dev stack, run through scripts/with-env.sh")
	}
	return root
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// scriptRun is a running scripts/run-example.sh and its output so far.
type scriptRun struct {
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (s *scriptRun) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *scriptRun) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// startRunExample starts the script and waits until it says Graft runs.
func startRunExample(t *testing.T, root, db, port, reset string) *scriptRun {
	t.Helper()
	s := &scriptRun{done: make(chan struct{})}
	s.cmd = exec.Command("bash", "scripts/run-example.sh")
	s.cmd.Dir = root
	s.cmd.Stdout, s.cmd.Stderr = s, s
	// Its own process group, to stop the script and its Graft together.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HASURA_GRAPHQL_") && !strings.HasPrefix(kv, "RESET=") && !strings.HasPrefix(kv, "GRAFT_EXAMPLE_DB=") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Env = append(s.cmd.Env, "GRAFT_EXAMPLE_DB="+db, "HASURA_GRAPHQL_SERVER_PORT="+port,
		"HASURA_GRAPHQL_ADMIN_SECRET="+testenv.AdminSecret, "RESET="+reset)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start run-example.sh: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.After(4 * time.Minute) // the first run builds bin/graft
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(s.String(), "Press Ctrl-C to stop Graft") {
		select {
		case <-s.done:
			t.Fatalf("run-example.sh exited (%v) before Graft ran:\n%s", s.cmd.ProcessState, s)
		case <-deadline:
			t.Fatalf("run-example.sh did not start Graft within 4 minutes:\n%s", s)
		case <-tick.C:
		}
	}
	return s
}

// stop sends Ctrl-C's SIGINT to the script's process group, as a terminal
// would, and waits for it to end (killing it after 30 s).
func (s *scriptRun) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		t.Errorf("run-example.sh did not stop within 30 s of SIGINT")
	}
}

// runPrintedUserCommands runs the commands the script printed for trying
// the role user (export, graft jwt, curl) as printed, checks that the curl
// saw only organization 1's users and returns the token.
func runPrintedUserCommands(t *testing.T, root, out string) string {
	t.Helper()
	_, block, ok := strings.Cut(out, "As the role user")
	block, _, _ = strings.Cut(block, "bin/graft subscribe")
	if !ok || !strings.Contains(block, "bin/graft jwt") {
		t.Fatalf("no user instructions in the output:\n%s", out)
	}
	_, block, _ = strings.Cut(block, "\n") // the rest of the heading line
	cmd := exec.Command("bash", "-euc", block+"\necho\necho \"$TOKEN\"")
	cmd.Dir = root
	cmd.Env = os.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("printed commands failed: %v\n%s\n%s", err, block, stderr.String())
	}
	body, token, _ := strings.Cut(strings.TrimSpace(string(stdout)), "\n")
	wantOrdered(t, []byte(body), `{"data":{"users":[{"id":1,"name":"Alice Anderson"},{"id":6,"name":"Frank Fischer"},{"id":11,"name":"Mallory Moore"},{"id":16,"name":"Rupert Rossi"},{"id":21,"name":"Wendy Weber"},{"id":26,"name":"Bianca Bauer"}]}}`)
	return strings.TrimSpace(token)
}

// subscribeWhileInserting runs `graft subscribe` on the user's own posts and
// checks that a post the user inserts (author_id preset from the token) is
// pushed to it.
func subscribeWhileInserting(t *testing.T, root string, srv *testenv.Server, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "bin/graft"), "subscribe", "--url", srv.URL+"/v1/graphql",
		"--token", token, "--count", "2",
		`subscription { posts(where: {author_id: {_eq: 1}}, order_by: {id: desc}, limit: 1) { author_id body } }`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("no first result from graft subscribe: %v %s", lines.Err(), stderr.String())
	}
	first := lines.Text()
	r := post(t, srv, "/v1/graphql", map[string]any{"query": `mutation { insert_posts_one(object: {body: "posted by the test"}) { author_id } }`},
		map[string]string{"Authorization": "Bearer " + token})
	wantOrdered(t, r.Body, `{"data":{"insert_posts_one":{"author_id":1}}}`)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("no second result from graft subscribe (first %s): %v %s", first, lines.Err(), stderr.String())
	}
	wantOrdered(t, lines.Bytes(), `{"data":{"posts":[{"author_id":1,"body":"posted by the test"}]}}`)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graft subscribe --count 2: %v %s", err, stderr.String())
	}
}

// dropExampleDatabase drops the test's example database and the slots on it.
func dropExampleDatabase(t *testing.T, db string) {
	base := os.Getenv("DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("drop %s: %v", db, err)
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT slot_name FROM pg_replication_slots WHERE database = $1`, db)
	if err != nil {
		t.Errorf("list slots of %s: %v", db, err)
		return
	}
	slots, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("list slots of %s: %v", db, err)
	}
	for _, slot := range slots {
		if err := testenv.DropSlot(base, slot); err != nil {
			t.Errorf("drop slot %s: %v", slot, err)
		}
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
		t.Errorf("drop database %s: %v", db, err)
	}
}
