package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/graftql/graft/graphql"
)

// The permissions section runs one list query as admin and as the role
// "reader", whose select permissions (created through the metadata API)
// filter article through its author relationship on a session variable:
// what row-level security costs on top of the same query.

const readerRole = "reader"

// targetRoleRatio is the goal: the reader's median latency (and its
// throughput, inverted) at most this many times the admin's.
const targetRoleRatio = 1.5

// alternatingRounds is how many rounds the permissions and mutation
// sections split each measurement into, alternating the sides compared
// (measureSides): their ratios then hold on a machine with noisy neighbours.
const alternatingRounds = 4

// orgOf is author id's org_id, as seeded.
func orgOf(author int) int { return 1 + author%nOrgs }

func readerSession(org int) graphql.Session {
	return graphql.Session{Role: readerRole, Vars: map[string]string{"x-hasura-org-id": strconv.Itoa(org)}}
}

// permissionBodies are the pg_create_select_permission requests giving
// reader its own org's authors and their articles.
func permissionBodies() [][]byte {
	perm := func(table string, columns []string, filter map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
			"source": "default",
			"table":  map[string]any{"schema": "public", "name": table},
			"role":   readerRole,
			"permission": map[string]any{
				"columns": columns,
				"filter":  filter,
			},
		}})
		if err != nil {
			panic(err)
		}
		return b
	}
	orgEq := map[string]any{"org_id": map[string]any{"_eq": "X-Hasura-Org-Id"}}
	return [][]byte{
		perm("author", []string{"id", "name", "org_id"}, orgEq),
		perm("article", []string{"id", "author_id", "title", "rating", "published_at"}, map[string]any{"author": orgEq}),
	}
}

// permQueries are the same list query as admin and as reader. Request i
// asks for one author's articles with X-Hasura-Org-Id set to that author's
// org, so the session variable changes from request to request and both
// roles see the same rows: the difference is the permission alone.
func permQueries() (admin, reader benchQuery) {
	text := `query ($a: Int!) {
  article(where: {author_id: {_eq: $a}, rating: {_gte: 2}}, order_by: {published_at: desc}, limit: 20) {
    id title rating published_at
    author { name }
  }
}`
	vars := func(i int) map[string]any { return map[string]any{"a": spread(i, nAuthors)} }
	admin = benchQuery{name: "admin", field: "article", text: text, vars: vars}
	reader = benchQuery{name: "reader (org filter)", field: "article", text: text, vars: vars,
		session: func(i int) graphql.Session { return readerSession(orgOf(spread(i, nAuthors))) }}
	return admin, reader
}

// permResult is the section's measurements.
type permResult struct {
	rows     []row // admin, reader at each concurrency
	httpBase time.Duration
	parts    []parts
}

func runPermissions(ctx context.Context, env *benchEnv, s settings) (*permResult, error) {
	for _, b := range permissionBodies() {
		if err := env.client.admin(ctx, env.metadataURL, b); err != nil {
			return nil, fmt.Errorf("pg_create_select_permission: %w", err)
		}
	}
	aq, rq := permQueries()
	maxN := max(s.serialN, s.parallelN) + s.warmup
	admin, err := prepare(ctx, env, aq, maxN)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	reader, err := prepare(ctx, env, rq, maxN)
	if err != nil {
		return nil, fmt.Errorf("reader: %w", err)
	}
	for _, w := range []*workload{admin, reader} {
		if err := w.verify(ctx, env, 20); err != nil {
			return nil, fmt.Errorf("%s: %w", w.q.name, err)
		}
	}
	if err := verifyReader(ctx, env, admin, reader, 20); err != nil {
		return nil, err
	}
	res := &permResult{}
	graft := func(w *workload) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return w.post(ctx, env, i) }
	}
	floor := func(w *workload) func(context.Context, int) error {
		return func(ctx context.Context, i int) error { return env.floorQuery(ctx, w.stmts[i]) }
	}
	sides := []side{
		{"admin graft", graft(admin)}, {"reader graft", graft(reader)},
		{"admin floor", floor(admin)}, {"reader floor", floor(reader)},
	}
	for _, c := range concurrencies {
		n := s.parallelN
		if c == 1 {
			n = s.serialN
		}
		st, err := measureSides(ctx, c, n, s.warmup, alternatingRounds, sides, nil)
		if err != nil {
			return nil, fmt.Errorf("concurrency %d: %w", c, err)
		}
		for k, w := range []*workload{admin, reader} {
			r := row{query: w.q.name, concurrency: c, graft: st[k], floor: st[k+2]}
			res.rows = append(res.rows, r)
			fmt.Fprintf(os.Stderr, "  done: perms %-22s c=%-2d graft p50 %s, floor p50 %s\n", w.q.name, c, ms(r.graft.p50), ms(r.floor.p50))
		}
	}
	if res.httpBase, res.parts, err = breakdown(ctx, env, []*workload{admin, reader}, s.serialN, s.warmup, alternatingRounds); err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	return res, nil
}

// verifyReader checks that Graft really runs reader's requests as reader:
// in its own org reader sees exactly what admin sees, in another org
// nothing, and the admin answers are not all empty.
func verifyReader(ctx context.Context, env *benchEnv, admin, reader *workload, n int) error {
	nonEmpty := 0
	for i := range min(n, len(admin.bodies)) {
		a, err := env.client.send(ctx, env.client.url, admin.bodies[i], admin.headers[i])
		if err != nil {
			return fmt.Errorf("admin request %d: %w", i, err)
		}
		r, err := env.client.send(ctx, env.client.url, reader.bodies[i], reader.headers[i])
		if err != nil {
			return fmt.Errorf("reader request %d: %w", i, err)
		}
		if !bytes.Equal(a, r) {
			return fmt.Errorf("request %d: reader in the author's org answered\n  %.300s\nbut admin\n  %.300s", i, r, a)
		}
		if !bytes.Equal(a, []byte(`{"data":{"article":[]}}`)) {
			nonEmpty++
		}
		org, _ := strconv.Atoi(reader.sessions[i].Vars["x-hasura-org-id"])
		other := env.client.headerWith(sessionHeaders(readerSession(1 + org%nOrgs)))
		o, err := env.client.send(ctx, env.client.url, reader.bodies[i], other)
		if err != nil {
			return fmt.Errorf("reader request %d in another org: %w", i, err)
		}
		if want := `{"data":{"article":[]}}`; string(o) != want {
			return fmt.Errorf("request %d: reader in another org answered %.300s, want %s: the permission is not applied", i, o, want)
		}
	}
	if nonEmpty == 0 {
		return fmt.Errorf("all %d admin answers are empty: the permission query measures nothing", n)
	}
	return nil
}

func printPermissions(out io.Writer, res *permResult) {
	fmt.Fprintf(out, "\npermissions: article(where author_id + rating, order_by published_at, limit 20) { id title rating published_at author { name } }\n")
	fmt.Fprintf(out, "  as admin, and as role %q (X-Hasura-Admin-Secret + X-Hasura-Role + X-Hasura-Org-Id, the org changing per request),\n", readerRole)
	fmt.Fprintf(out, "  select permissions: article {\"author\":{\"org_id\":{\"_eq\":\"X-Hasura-Org-Id\"}}}, author {\"org_id\":{\"_eq\":\"X-Hasura-Org-Id\"}};\n")
	fmt.Fprintf(out, "  each request's author is in its org, so both roles get the same rows; floor = the SQL Graft compiles for that role;\n")
	fmt.Fprintf(out, "  admin, reader, admin floor and reader floor alternate in %d rounds\n", alternatingRounds)
	printRows(out, "role", res.rows)
	fmt.Fprintf(out, "\ngoal: %s p50 and req/s <= %.1fx admin (Graft over HTTP)\n", readerRole, targetRoleRatio)
	for i := 0; i+1 < len(res.rows); i += 2 {
		a, r := res.rows[i], res.rows[i+1]
		p50 := float64(r.graft.p50) / float64(a.graft.p50)
		rps := a.graft.rps() / r.graft.rps()
		verdict := "met"
		if p50 > targetRoleRatio || rps > targetRoleRatio {
			verdict = "MISSED"
		}
		fmt.Fprintf(out, "  c=%-2d  %s/admin p50 %.2fx (+%s), req/s %.2fx (admin/%s); floor %s/admin p50 %.2fx: %s\n",
			a.concurrency, readerRole, p50, ms(r.graft.p50-a.graft.p50), rps, readerRole,
			readerRole, float64(r.floor.p50)/float64(a.floor.p50), verdict)
	}
	fmt.Fprintf(out, "\n(the breakdown below alternates its ten pieces in %d rounds)", alternatingRounds)
	printBreakdown(out, res.httpBase, res.parts)
}

// printRows is the table of rows, graft against floor, with first as the
// heading of its first column.
func printRows(out io.Writer, first string, rows []row) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tc\tgraft req/s\tgraft p50\tgraft p99\tfloor req/s\tfloor p50\tfloor p99\tp50 ratio\treq/s ratio\t\n", first)
	fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t(graft/floor)\t(floor/graft)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%.0f\t%s\t%s\t%.2fx\t%.2fx\t\n",
			r.query, r.concurrency,
			r.graft.rps(), ms(r.graft.p50), ms(r.graft.p99),
			r.floor.rps(), ms(r.floor.p50), ms(r.floor.p99),
			r.p50Ratio(), r.rpsRatio())
	}
	tw.Flush()
}
