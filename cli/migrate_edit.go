package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newMigrateDeleteCmd(g *globals) *cobra.Command {
	var version string
	var all, serverOnly bool
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete migrations from the project and the server's migration state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (version == "") == !all {
				return fmt.Errorf("give exactly one of --version or --all")
			}
			p, err := g.load()
			if err != nil {
				return err
			}
			return deleteMigrations(cmd.Context(), p, g.database, version, serverOnly, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "deletes the specified version in migrations")
	f.BoolVar(&all, "all", false, "clears all migrations for selected database")
	f.BoolVar(&serverOnly, "server", false, "to remove migrations from the server's state only")
	return cmd
}

// deleteMigrations removes version (every version when empty) from the
// server's state and, unless serverOnly, the project. The SQL is not undone.
func deleteMigrations(ctx context.Context, p *Project, database, version string, serverOnly bool, out io.Writer) error {
	dir := filepath.Join(p.MigrationsDir(), database)
	local, err := LoadMigrations(dir)
	if err != nil {
		return err
	}
	state, err := loadState(ctx, p.Client())
	if err != nil {
		return err
	}
	applied, err := state.Applied(database)
	if err != nil {
		return err
	}
	var versions []int64
	var dirs []string
	if version != "" {
		v, err := strconv.ParseInt(version, 10, 64)
		if err != nil {
			return fmt.Errorf("--version %q is not a migration version", version)
		}
		_, onServer := applied[v]
		found := onServer
		for _, m := range local {
			if m.Version == v {
				found = true
				dirs = append(dirs, m.Dir)
			}
		}
		if !found {
			return fmt.Errorf("version %d is neither in the project nor on the server", v)
		}
		versions = []int64{v}
	} else {
		versions = sortedVersions(applied)
		for _, m := range local {
			dirs = append(dirs, m.Dir)
		}
	}
	if err := state.save(ctx, state.with(database, false, versions...)); err != nil {
		return err
	}
	if !serverOnly {
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				return fmt.Errorf("delete %s: %w", d, err)
			}
		}
	}
	fmt.Fprintln(out, "Deleted migrations")
	return nil
}

func newMigrateSquashCmd(g *globals) *cobra.Command {
	var from, to, name string
	var deleteSource bool
	cmd := &cobra.Command{
		Use:   "squash",
		Short: "Squash multiple migrations into a single one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return fmt.Errorf("--from is required")
			}
			p, err := g.load()
			if err != nil {
				return err
			}
			return squash(cmd.Context(), p, g.database, from, to, name, deleteSource, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "start squashing from this version")
	f.StringVar(&to, "to", "", "squash up to this version (default: the newest)")
	f.StringVar(&name, "name", "squashed", "name for the new squashed migration")
	f.BoolVar(&deleteSource, "delete-source", false, "delete the source files after squashing without any confirmation")
	return cmd
}

// squash merges the migrations from..to into one new migration: up.sql
// concatenated in order, down.sql in reverse. When every source is applied
// the new version is recorded as applied, since its SQL already ran; with
// --delete-source the sources leave the project and the state.
func squash(ctx context.Context, p *Project, database, from, to, name string, deleteSource bool, out io.Writer) error {
	fromV, err := strconv.ParseInt(from, 10, 64)
	if err != nil {
		return fmt.Errorf("--from %q is not a migration version", from)
	}
	toV := int64(-1)
	if to != "" {
		if toV, err = strconv.ParseInt(to, 10, 64); err != nil {
			return fmt.Errorf("--to %q is not a migration version", to)
		}
	}
	dir := filepath.Join(p.MigrationsDir(), database)
	local, err := LoadMigrations(dir)
	if err != nil {
		return err
	}
	var sources []Migration
	for _, m := range local {
		if m.Version >= fromV && (toV < 0 || m.Version <= toV) {
			sources = append(sources, m)
		}
	}
	if len(sources) == 0 || sources[0].Version != fromV {
		return fmt.Errorf("no migration with version %d in %s", fromV, dir)
	}
	var ups, downs []string
	for i, m := range sources {
		up, err := m.SQL("up")
		if err != nil {
			return err
		}
		ups = append(ups, fmt.Sprintf("-- %s\n%s", m.FullName(), strings.TrimRight(up, "\n")))
		down, err := sources[len(sources)-1-i].SQL("down")
		if err != nil {
			return err
		}
		// Squashed, a no-transaction migration would either run inside the
		// others' transaction (and fail) or take them out of theirs.
		for _, nt := range []struct {
			sql string
			m   Migration
		}{{up, m}, {down, sources[len(sources)-1-i]}} {
			if len(sources) > 1 && isNoTransaction(nt.sql) {
				return fmt.Errorf("%s is a no-transaction migration (-- graft:no-transaction): squash the migrations before or after it, not across it", nt.m.Dir)
			}
		}
		if strings.TrimSpace(down) != "" {
			downs = append(downs, fmt.Sprintf("-- %s\n%s", sources[len(sources)-1-i].FullName(), strings.TrimRight(down, "\n")))
		}
	}
	joined := func(parts []string) string {
		if len(parts) == 0 {
			return ""
		}
		return strings.Join(parts, "\n\n") + "\n"
	}
	state, err := loadState(ctx, p.Client())
	if err != nil {
		return err
	}
	applied, err := state.Applied(database)
	if err != nil {
		return err
	}
	m, err := CreateMigration(dir, name, joined(ups), joined(downs), time.Now())
	if err != nil {
		return err
	}
	allApplied := true
	var sourceVersions []int64
	for _, s := range sources {
		sourceVersions = append(sourceVersions, s.Version)
		if _, ok := applied[s.Version]; !ok {
			allApplied = false
		}
	}
	if allApplied {
		next := state.with(database, true, m.Version)
		if deleteSource {
			versions := next["migrations"].(map[string]map[string]bool)[database]
			for _, v := range sourceVersions {
				delete(versions, strconv.FormatInt(v, 10))
			}
		}
		if err := state.save(ctx, next); err != nil {
			return err
		}
	}
	if deleteSource {
		for _, s := range sources {
			if err := os.RemoveAll(s.Dir); err != nil {
				return fmt.Errorf("delete %s: %w", s.Dir, err)
			}
		}
	}
	fmt.Fprintf(out, "Created '%s' after squashing %d migrations from %d till %d\n", m.FullName(), len(sources), sources[0].Version, sources[len(sources)-1].Version)
	if allApplied {
		fmt.Fprintf(out, "Marked %d as applied on database %s\n", m.Version, database)
	}
	return nil
}
