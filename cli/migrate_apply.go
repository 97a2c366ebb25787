package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ApplyOptions select migrations as `hasura migrate apply` does: all pending
// ups by default, or one of --up N, --down N|all, --version V [--type], --goto V.
type ApplyOptions struct {
	Up, Down, Goto, Version string
	Type                    string // up or down, with Version
	SkipExecution, DryRun   bool
}

// step is one migration to run in one direction.
type step struct {
	m    Migration
	down bool
}

func (s step) direction() string {
	if s.down {
		return "down"
	}
	return "up"
}

// plan picks the steps for o from the local migrations and the applied versions.
func plan(local []Migration, applied map[int64]bool, o ApplyOptions) ([]step, error) {
	set := 0
	for _, f := range []string{o.Up, o.Down, o.Goto, o.Version} {
		if f != "" {
			set++
		}
	}
	if set > 1 {
		return nil, fmt.Errorf("only one migration type can be applied at a time (--up, --down, --version or --goto)")
	}
	if o.SkipExecution && o.DryRun {
		return nil, fmt.Errorf("both --skip-execution and --dry-run flags cannot be used together")
	}
	if o.SkipExecution && o.Goto != "" {
		return nil, fmt.Errorf("--skip-execution flag can be set only with --version, --up, --down flags")
	}
	byVersion := map[int64]Migration{}
	var pending, done []Migration // ascending; done keeps only local ones
	for _, m := range local {
		byVersion[m.Version] = m
		if _, ok := applied[m.Version]; ok {
			done = append(done, m)
		} else {
			pending = append(pending, m)
		}
	}
	ups := func(ms []Migration) []step {
		out := make([]step, len(ms))
		for i, m := range ms {
			out[i] = step{m: m}
		}
		return out
	}
	// downs rolls back the newest applied versions first; an applied version
	// without local files cannot be rolled back.
	downs := func(n int, above int64) ([]step, error) {
		versions := sortedVersions(applied)
		var out []step
		for i := len(versions) - 1; i >= 0 && (n < 0 || len(out) < n); i-- {
			v := versions[i]
			if v <= above {
				break
			}
			m, ok := byVersion[v]
			if !ok {
				return nil, fmt.Errorf("version %d is applied on the server but has no directory in the project: cannot roll it back", v)
			}
			out = append(out, step{m: m, down: true})
		}
		return out, nil
	}
	switch {
	case o.Version != "":
		v, err := strconv.ParseInt(o.Version, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--version %q is not a migration version", o.Version)
		}
		m, ok := byVersion[v]
		if !ok {
			return nil, fmt.Errorf("no migration with version %d in the project", v)
		}
		_, isApplied := applied[v]
		switch o.Type {
		case "", "up":
			if isApplied {
				return nil, fmt.Errorf("migration %s is already applied", m.FullName())
			}
			return []step{{m: m}}, nil
		case "down":
			if !isApplied {
				return nil, fmt.Errorf("migration %s is not applied", m.FullName())
			}
			return []step{{m: m, down: true}}, nil
		default:
			return nil, fmt.Errorf("--type must be up or down, not %q", o.Type)
		}
	case o.Down != "":
		n, err := count(o.Down, "--down")
		if err != nil {
			return nil, err
		}
		return downs(n, -1)
	case o.Goto != "":
		v, err := strconv.ParseInt(o.Goto, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--goto %q is not a migration version", o.Goto)
		}
		if _, ok := byVersion[v]; !ok {
			return nil, fmt.Errorf("no migration with version %d in the project", v)
		}
		out, err := downs(-1, v)
		if err != nil {
			return nil, err
		}
		for _, m := range pending {
			if m.Version <= v {
				out = append(out, step{m: m})
			}
		}
		return out, nil
	default:
		n := -1
		if o.Up != "" {
			var err error
			if n, err = count(o.Up, "--up"); err != nil {
				return nil, err
			}
		}
		if n >= 0 && n < len(pending) {
			pending = pending[:n]
		}
		return ups(pending), nil
	}
}

// count parses "all" (-1) or a positive step count.
func count(s, flag string) (int, error) {
	if s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s takes all or a positive number, not %q", flag, s)
	}
	return n, nil
}

// migrator applies steps on one database, printing progress to out.
type migrator struct {
	c        *Client
	state    *stateStore
	database string
	out      io.Writer
}

// run applies steps in order, each migration with its state change in one
// transaction where the server allows it. It stops at the first failure,
// whose error names the migration and the version the database is left at.
func (mg *migrator) run(ctx context.Context, steps []step, o ApplyOptions) error {
	if len(steps) == 0 {
		fmt.Fprintf(mg.out, "nothing to apply on database %s\n", mg.database)
		return nil
	}
	if o.DryRun {
		fmt.Fprintf(mg.out, "migrations to apply on database %s:\n", mg.database)
		for _, s := range steps {
			fmt.Fprintf(mg.out, "  %s (%s)\n", s.m.FullName(), s.direction())
		}
		return nil
	}
	start := time.Now()
	for _, s := range steps {
		t0 := time.Now()
		if err := mg.apply(ctx, s, o.SkipExecution); err != nil {
			return fmt.Errorf("migration %s (%s) failed on database %s: %w; %s",
				s.m.FullName(), s.direction(), mg.database, err, mg.position())
		}
		verb := "applied"
		if o.SkipExecution {
			verb = "marked"
		}
		fmt.Fprintf(mg.out, "%s %s (%s) in %s\n", verb, s.m.FullName(), s.direction(), since(t0))
	}
	fmt.Fprintf(mg.out, "migrations applied on database %s: %d in %s\n", mg.database, len(steps), since(start))
	return nil
}

// apply runs one step's SQL and records the new version set.
func (mg *migrator) apply(ctx context.Context, s step, skipExecution bool) error {
	next := mg.state.with(mg.database, !s.down, s.m.Version)
	sql := ""
	if !skipExecution {
		var err error
		if sql, err = s.m.SQL(s.direction()); err != nil {
			return err
		}
	}
	if isNoTransaction(sql) {
		return mg.applyNoTransaction(ctx, sql, next)
	}
	var bulk []any
	if strings.TrimSpace(sql) != "" {
		bulk = append(bulk, op("run_sql", map[string]any{"sql": sql, "source": mg.database}))
	}
	if mg.state.atomic {
		bulk = append(bulk, setOp(next))
		if err := mg.c.Query(ctx, op("bulk", bulk), nil); err != nil {
			return err
		}
		mg.state.commit(next)
		return nil
	}
	// Hasura's own server: the SQL commits first, then the version, as
	// Hasura's CLI records it.
	if len(bulk) > 0 {
		if err := mg.c.Query(ctx, op("bulk", bulk), nil); err != nil {
			return err
		}
	}
	return mg.state.save(ctx, next)
}

// position describes the newest applied version, for failure messages.
func (mg *migrator) position() string {
	vs, err := mg.state.AppliedSorted(mg.database)
	if err != nil || len(vs) == 0 {
		return "no migration is applied"
	}
	return fmt.Sprintf("the database is at version %d", vs[len(vs)-1])
}

func sortedVersions(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// Migrate applies the project's migrations on database with o.
func Migrate(ctx context.Context, c *Client, migrationsDir, database string, o ApplyOptions, out io.Writer) error {
	local, err := LoadMigrations(filepath.Join(migrationsDir, database))
	if err != nil {
		return err
	}
	state, err := loadState(ctx, c)
	if err != nil {
		return err
	}
	applied, err := state.Applied(database)
	if err != nil {
		return err
	}
	steps, err := plan(local, applied, o)
	if err != nil {
		return err
	}
	mg := &migrator{c: c, state: state, database: database, out: out}
	return mg.run(ctx, steps, o)
}
