package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/graftql/graft/metadata"
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

// CreateSeed writes dir/<unix-ms>_<name>.sql: the rows of tables as INSERT
// statements read through run_sql, or an empty file to fill by hand.
func CreateSeed(ctx context.Context, c *Client, dir, database, name string, tables []string, now time.Time) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("seed name %q must be non-empty and contain no slash", name)
	}
	var sql strings.Builder
	for _, t := range tables {
		rows, err := dumpTable(ctx, c, database, t)
		if err != nil {
			return "", err
		}
		sql.WriteString(rows)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create seeds directory: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d_%s.sql", now.UnixMilli(), name))
	if err := os.WriteFile(path, []byte(sql.String()), 0o644); err != nil {
		return "", fmt.Errorf("write seed: %w", err)
	}
	return path, nil
}

// dumpTable returns INSERT statements for every row of table. Postgres
// builds them: each column as its text form, quoted, which INSERT casts back
// to the column's type (arrays, json and all).
func dumpTable(ctx context.Context, c *Client, database, table string) (string, error) {
	schema, name := "public", table
	if i := strings.IndexByte(table, '.'); i >= 0 {
		schema, name = table[:i], table[i+1:]
	}
	// Quoted always: a name may be a reserved word (user, order).
	rel := metadata.QuoteIdent(schema) + "." + metadata.QuoteIdent(name)
	cols, err := runSQLRows(ctx, c, database, fmt.Sprintf(`SELECT
  string_agg(quote_ident(attname), ', ' ORDER BY attnum),
  string_agg(format('quote_nullable(t.%%I::text)', attname), ' || '', '' || ' ORDER BY attnum)
FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`, quoteLiteral(rel)))
	if err != nil {
		return "", fmt.Errorf("read table %s: %w", table, err)
	}
	if len(cols) == 0 || cols[0][0] == nil {
		return "", fmt.Errorf("read table %s: it has no columns", table)
	}
	prefix := fmt.Sprintf("INSERT INTO %s (%s) VALUES (", rel, *cols[0][0])
	rows, err := runSQLRows(ctx, c, database, fmt.Sprintf(`SELECT %s || %s || ');' FROM %s t`, quoteLiteral(prefix), *cols[0][1], rel))
	if err != nil {
		return "", fmt.Errorf("read table %s: %w", table, err)
	}
	var out strings.Builder
	for _, row := range rows {
		out.WriteString(*row[0] + "\n")
	}
	return out.String(), nil
}

// runSQLRows runs a read-only query through run_sql and returns its rows
// without the header.
func runSQLRows(ctx context.Context, c *Client, database, sql string) ([][]*string, error) {
	var res struct {
		Result [][]*string `json:"result"`
	}
	body := op("run_sql", map[string]any{"sql": sql, "source": database, "read_only": true})
	if err := c.Query(ctx, body, &res); err != nil {
		return nil, err
	}
	if len(res.Result) == 0 {
		return nil, nil
	}
	return res.Result[1:], nil
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

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
