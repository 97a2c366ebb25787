package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbPrefix names every database the runner creates, so leftovers of an
// aborted run are recognisable. The process id keeps two runs against one
// server (two developers, or a helper and CI) out of each other's way.
var dbPrefix = fmt.Sprintf("graft_conf_%d_", os.Getpid())

// templateDB holds the extensions every test database starts with. Creating
// PostGIS once and copying the database is much faster than running
// CREATE EXTENSION postgis for every directory.
var templateDB = dbPrefix + "template"

// dbAdmin creates and drops the test databases through a superuser
// connection to DATABASE_URL.
type dbAdmin struct {
	baseURL string
	conn    *pgx.Conn
}

func openDBAdmin(ctx context.Context, baseURL string) (*dbAdmin, error) {
	if !strings.Contains(baseURL, "://") {
		return nil, fmt.Errorf("DATABASE_URL must be a postgres:// URL (graft takes the per-directory URL from it)")
	}
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return nil, fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	return &dbAdmin{baseURL: baseURL, conn: conn}, nil
}

func (a *dbAdmin) close(ctx context.Context) error {
	if err := a.conn.Close(ctx); err != nil {
		return fmt.Errorf("close admin connection: %w", err)
	}
	return nil
}

// urlFor is DATABASE_URL with the database name replaced.
func (a *dbAdmin) urlFor(name string) (string, error) {
	u, err := url.Parse(a.baseURL)
	if err != nil {
		return "", fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// prepareTemplate (re)creates the template database with PostGIS as the
// Python "postgis" fixture does. Topology and raster are optional; a missing
// PostGIS is returned as a warning, since only some directories need it and
// their setup will then fail on its own.
func (a *dbAdmin) prepareTemplate(ctx context.Context) (warnings []string, err error) {
	if err := a.recreate(ctx, templateDB, ""); err != nil {
		return nil, err
	}
	dbURL, err := a.urlFor(templateDB)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", templateDB, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		return []string{fmt.Sprintf("PostGIS is not available (directories using geometry will fail): %v", err)}, nil
	}
	for _, ext := range []string{"postgis_topology", "postgis_raster"} {
		// Optional, as in the Python fixture; failure changes no case here.
		_, _ = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ext)
	}
	return nil, nil
}

// createDatabase makes a fresh database, a copy of the template when
// withExtensions, else an empty one, running in UTC. It returns its URL.
func (a *dbAdmin) createDatabase(ctx context.Context, name string, withExtensions bool) (string, error) {
	template := ""
	if withExtensions {
		template = templateDB
	}
	if err := a.recreate(ctx, name, template); err != nil {
		return "", err
	}
	// Several setups assume UTC; pin it instead of trusting the server default.
	if _, err := a.conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s SET timezone TO 'UTC'", quoteIdent(name))); err != nil {
		return "", fmt.Errorf("set time zone of %s: %w", name, err)
	}
	return a.urlFor(name)
}

func (a *dbAdmin) recreate(ctx context.Context, name, template string) error {
	if err := a.dropDatabase(ctx, name); err != nil {
		return err
	}
	sql := "CREATE DATABASE " + quoteIdent(name)
	if template != "" {
		sql += " TEMPLATE " + quoteIdent(template)
	}
	if _, err := a.conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// dropDatabase drops name, ending any sessions graft still holds on it.
// Its replication slots go first: PostgreSQL refuses to drop a database
// that still has one, and graft's WAL reader makes one by default.
func (a *dbAdmin) dropDatabase(ctx context.Context, name string) error {
	if err := a.dropSlots(ctx, name); err != nil {
		return err
	}
	if _, err := a.conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", quoteIdent(name))); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropSlots drops the replication slots of database name, ending the
// walsender still holding one (a stopped graft's may still be exiting).
func (a *dbAdmin) dropSlots(ctx context.Context, name string) error {
	for {
		var left int
		err := a.conn.QueryRow(ctx, `SELECT count(*) FROM (
			SELECT CASE WHEN active THEN pg_terminate_backend(active_pid) ELSE pg_drop_replication_slot(slot_name) IS NULL END
			FROM pg_replication_slots WHERE database = $1) s`, name).Scan(&left)
		if err == nil && left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drop replication slots of %s: %w", name, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }
