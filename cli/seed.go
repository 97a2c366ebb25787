package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newSeedCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "seed", Aliases: []string{"sd", "seeds"}, Short: "Manage seed data", SilenceUsage: true}
	g.addServerFlags(cmd.PersistentFlags())
	g.addDatabaseFlag(cmd.PersistentFlags())
	var tables, files []string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a new seed file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			path, err := CreateSeed(cmd.Context(), p.Client(), filepath.Join(p.SeedsDir(), g.database), g.database, args[0], tables, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created seed file successfully file=%s\n", path)
			return nil
		},
	}
	create.Flags().StringArrayVar(&tables, "from-table", nil, "name of table from which seed file has to be initialized, e.g. author or public.author")
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Apply seed data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			if err := ApplySeeds(cmd.Context(), p.Client(), filepath.Join(p.SeedsDir(), g.database), g.database, files); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Seeds planted")
			return nil
		},
	}
	apply.Flags().StringArrayVarP(&files, "file", "f", nil, "seed file to apply (repeatable; default: all)")
	cmd.AddCommand(create, apply)
	return cmd
}

// CreateSeed writes dir/<unix-ms>_<name>.sql: the rows of tables as
// pg_dump's INSERT statements, through the server's pg_dump API as Hasura's
// CLI does, or an empty file to fill by hand.
func CreateSeed(ctx context.Context, c *Client, dir, database, name string, tables []string, now time.Time) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("seed name %q must be non-empty and contain no slash", name)
	}
	var sql []byte
	if len(tables) > 0 {
		opts, err := dataDumpOptions(tables)
		if err != nil {
			return "", err
		}
		if sql, err = c.PGDump(ctx, database, opts); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create seeds directory: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d_%s.sql", now.UnixMilli(), name))
	if err := os.WriteFile(path, sql, 0o644); err != nil {
		return "", fmt.Errorf("write seed: %w", err)
	}
	return path, nil
}

// ApplySeeds runs the seed files (all of dir in name order, or only files)
// in one bulk request: all of them or none.
func ApplySeeds(ctx context.Context, c *Client, dir, database string, files []string) error {
	if len(files) == 0 {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no seeds directory %s", dir)
		}
		if err != nil {
			return fmt.Errorf("read seeds: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
				files = append(files, e.Name())
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			return fmt.Errorf("no SQL files found in %s", dir)
		}
	}
	var bulk []any
	for _, f := range files {
		path := f
		if !filepath.IsAbs(path) && !strings.ContainsRune(f, filepath.Separator) {
			path = filepath.Join(dir, f)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("seed %s: %w", f, err)
		}
		if line := copyFromStdinLine(string(b)); line > 0 {
			return fmt.Errorf("seed %s:%d: COPY ... FROM stdin needs psql and cannot run through run_sql; create the seed with `graft seed create --from-table` (INSERT statements)", path, line)
		}
		if strings.TrimSpace(string(b)) != "" {
			bulk = append(bulk, op("run_sql", map[string]any{"sql": string(b), "source": database}))
		}
	}
	if len(bulk) == 0 {
		return nil
	}
	if err := c.Query(ctx, op("bulk", bulk), nil); err != nil {
		return fmt.Errorf("apply seeds: %w", err)
	}
	return nil
}

var copyFromStdin = regexp.MustCompile(`(?i)^\s*COPY\s.*\sFROM\s+stdin\b`)

// copyFromStdinLine is the 1-based line of the first COPY ... FROM stdin
// (pg_dump's default data format), or 0.
func copyFromStdinLine(sql string) int {
	for i, line := range strings.Split(sql, "\n") {
		if copyFromStdin.MatchString(line) {
			return i + 1
		}
	}
	return 0
}
