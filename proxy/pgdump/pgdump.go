// Package pgdump runs the pg_dump binary matching a Postgres server's major
// version against a database URL and cleans its output as Hasura's
// /v1alpha1/pg_dump API does.
package pgdump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrNotFound is returned when no pg_dump binary is installed.
var ErrNotFound = errors.New("pg_dump is not installed on the server (looked in /usr/lib/postgresql/<major>/bin, /usr/pgsql-<major>/bin and PATH)")

// OptionError is an option the API refuses: it would write a file on the
// server or connect to another database than the source's.
type OptionError struct{ Option string }

func (e *OptionError) Error() string {
	return fmt.Sprintf("pg_dump option %q is not allowed: the dump is returned in the response and always reads the source's database", e.Option)
}

// DumpError is pg_dump exiting with an error; Stderr is what it printed.
type DumpError struct{ Stderr string }

func (e *DumpError) Error() string { return "error while executing pg_dump: " + e.Stderr }

// refusedLong are the long options that redirect the output or the
// connection; getopt also takes any unambiguous prefix of them.
var refusedLong = []string{"--file", "--dbname", "--host", "--port"}

// refusedShort are their short forms; shortWithArg are pg_dump's short
// options that take an argument (which ends a cluster like -Ox).
const refusedShort, shortWithArg = "fdhp", "deEfFhjnNpStTUZ"

// CheckOptions rejects the options pg_dump must not get through the API,
// however they are spelled: --file=x, --fil x, -fx, -Ofx.
func CheckOptions(opts []string) error {
	for _, o := range opts {
		switch {
		case strings.HasPrefix(o, "--"):
			name, _, _ := strings.Cut(o, "=")
			for _, r := range refusedLong {
				if len(name) > 2 && strings.HasPrefix(r, name) {
					return &OptionError{Option: o}
				}
			}
		case len(o) > 1 && o[0] == '-':
			for _, c := range o[1:] {
				if strings.ContainsRune(refusedShort, c) {
					return &OptionError{Option: o}
				}
				if strings.ContainsRune(shortWithArg, c) {
					break
				}
			}
		}
	}
	return nil
}

// Run dumps the database at dbURL with opts. pg_dump gets the URL without
// its password (the password goes in PGPASSWORD, out of the process list).
func Run(ctx context.Context, dbURL string, opts []string) ([]byte, error) {
	if err := CheckOptions(opts); err != nil {
		return nil, err
	}
	bin, err := Binary(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	conn, password := splitPassword(dbURL)
	args := append([]string{"--encoding=utf8"}, opts...)
	args = append(args, "--dbname="+conn)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = exit.Error()
			}
			return nil, &DumpError{Stderr: msg}
		}
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	return stdout.Bytes(), nil
}

// splitPassword takes the password out of a postgres:// URL; other forms
// are passed as they are.
func splitPassword(dbURL string) (conn, password string) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.User == nil {
		return dbURL, ""
	}
	password, ok := u.User.Password()
	if !ok {
		return dbURL, ""
	}
	u.User = url.User(u.User.Username())
	return u.String(), password
}

// Binary finds the pg_dump of the server's major version: pg_dump refuses
// a newer server, and a newer pg_dump writes SET lines an older server
// rejects. Without a matching one, the one on PATH is used.
func Binary(ctx context.Context, dbURL string) (string, error) {
	if major, err := serverMajor(ctx, dbURL); err == nil {
		for _, p := range []string{fmt.Sprintf("/usr/lib/postgresql/%d/bin/pg_dump", major), fmt.Sprintf("/usr/pgsql-%d/bin/pg_dump", major)} {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath("pg_dump")
	if err != nil {
		return "", ErrNotFound
	}
	return filepath.Clean(p), nil
}

func serverMajor(ctx context.Context, dbURL string) (int, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var v int
	err = conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&v)
	return v / 10000, err
}

// preamble are the session settings and public-schema lines pg_dump writes
// at the top of every dump; clean output drops them, as Hasura does.
var preamble = map[string]bool{
	"SET statement_timeout = 0;":                              true,
	"SET lock_timeout = 0;":                                   true,
	"SET idle_in_transaction_session_timeout = 0;":            true,
	"SET transaction_timeout = 0;":                            true, // pg_dump 17
	"SET client_encoding = 'UTF8';":                           true,
	"SET standard_conforming_strings = on;":                   true,
	"SELECT pg_catalog.set_config('search_path', '', false);": true,
	"SET check_function_bodies = false;":                      true,
	"SET xmloption = content;":                                true,
	"SET client_min_messages = warning;":                      true,
	"SET row_security = off;":                                 true,
	"SET default_tablespace = '';":                            true,
	"SET default_with_oids = false;":                          true,
	"SET default_table_access_method = heap;":                 true,
	"SET extra_float_digits = 3;":                             true,
	"CREATE SCHEMA public;":                                   true,
	"COMMENT ON SCHEMA public IS 'standard public schema';":   true,
}

// notifyTrigger is a Hasura v1 event trigger, which clean output drops.
var notifyTrigger = regexp.MustCompile(`^CREATE TRIGGER "?notify_hasura_.+"? AFTER [[:alnum:]]+ ON .+ FOR EACH ROW EXECUTE (FUNCTION|PROCEDURE) "?hdb_views"?\."?notify_hasura_.+"?\(\);$`)

// Clean drops what Hasura's clean_output drops — blank lines, comments,
// the preamble and Hasura v1 notify triggers — and also the \restrict and
// \unrestrict lines pg_dump writes since 17.6/16.10/15.14: they are psql
// meta-commands that run_sql cannot run. Unlike Hasura, a line inside a
// string or dollar-quoted body is always kept, so that a multi-line value
// or function body comes through unchanged.
func Clean(dump []byte) []byte {
	var out bytes.Buffer
	var q quoteState
	for _, line := range strings.Split(string(dump), "\n") {
		if q.outside() && (strings.TrimSpace(line) == "" || strings.HasPrefix(line, "--") || preamble[line] ||
			notifyTrigger.MatchString(line) || strings.HasPrefix(line, `\restrict `) || strings.HasPrefix(line, `\unrestrict `)) {
			continue
		}
		q.scan(line)
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// quoteState follows SQL quoting across lines: inside a '...' string, a
// "..." identifier or a $tag$...$tag$ body.
type quoteState struct {
	quote  byte   // '\'' or '"' while inside one
	dollar string // the open $tag$
}

func (q *quoteState) outside() bool { return q.quote == 0 && q.dollar == "" }

var dollarTag = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)

func (q *quoteState) scan(line string) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case q.dollar != "":
			if strings.HasPrefix(line[i:], q.dollar) {
				i += len(q.dollar) - 1
				q.dollar = ""
			}
		case q.quote != 0:
			if c == q.quote {
				q.quote = 0 // a doubled quote reopens at the next byte
			}
		case c == '\'' || c == '"':
			q.quote = c
		case c == '-' && strings.HasPrefix(line[i:], "--"):
			return
		case c == '$':
			if tag := dollarTag.FindString(line[i:]); tag != "" && (i == 0 || !isIdentByte(line[i-1])) {
				q.dollar = tag
				i += len(tag) - 1
			}
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
