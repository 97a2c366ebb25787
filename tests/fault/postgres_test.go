package fault

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// pgCluster is a private PostgreSQL cluster (initdb'd for one test, on a
// free loopback port, trust auth, wal_level=logical) that the test may stop
// and start. As root, it runs as the postgres OS user (initdb refuses root).
type pgCluster struct {
	bin     string // directory of initdb, pg_ctl
	dir     string // owned by the server's user: data/, the socket, the log
	port    int
	runAs   string // "postgres" when running as root, else ""
	BaseURL string // the postgres database, as superuser
}

// pgBinDir finds initdb: on PATH, else the newest /usr/lib/postgresql/N/bin.
func pgBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi > vj
	})
	if len(dirs) == 0 {
		return ""
	}
	return filepath.Dir(dirs[0])
}

// startCluster initdb's and starts a cluster, or skips the test when
// PostgreSQL's server binaries (or, as root, the postgres user) are missing.
func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{bin: pgBinDir(), port: freePort(t)}
	if c.bin == "" {
		t.Skip("initdb not found (on PATH or under /usr/lib/postgresql/*/bin): cannot run a private PostgreSQL")
	}
	// Under /tmp itself, not t.TempDir(): the postgres user must reach it.
	dir, err := os.MkdirTemp("", "graft-fault-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres OS user: initdb refuses root")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = "postgres"
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--no-sync", "--no-instructions"); err != nil {
		t.Skipf("initdb failed, cannot run a private PostgreSQL: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\nfsync = off\n"+
		"shared_buffers = 32MB\nmax_connections = 60\n", c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.BaseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	// Stopped last (cleanups run in reverse): after Graft, the slot and the database.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postgres log (tail):\n%s", tail(filepath.Join(c.dir, "pg.log"), 30))
		}
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	})
	c.start(t)
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the cluster's programs as the server's user, from /.
func (c *pgCluster) run(prog string, args ...string) ([]byte, error) {
	name, argv := filepath.Join(c.bin, prog), args
	if c.runAs != "" {
		name, argv = "runuser", append([]string{"-u", c.runAs, "--", filepath.Join(c.bin, prog)}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = "/"
	return cmd.CombinedOutput()
}

// start starts the server (pg_ctl -w waits until it accepts connections);
// t is the calling (sub)test.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "pg.log"), "-w", "-t", "60", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, tail(filepath.Join(c.dir, "pg.log"), 20))
	}
}

// stop shuts the server down. Mode "fast" ends sessions and writes the
// shutdown checkpoint (slots keep their confirmed position); "immediate"
// is a crash: recovery brings slots back as of their last save, behind
// what Graft had acknowledged, so the server sends that WAL again.
func (c *pgCluster) stop(t *testing.T, mode string) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}
