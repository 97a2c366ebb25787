package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newMigrateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Manage migrations on the database", SilenceUsage: true}
	g.addServerFlags(cmd.PersistentFlags())
	g.addDatabaseFlag(cmd.PersistentFlags())
	cmd.AddCommand(newMigrateCreateCmd(g), newMigrateApplyCmd(g), newMigrateStatusCmd(g),
		newMigrateDeleteCmd(g), newMigrateSquashCmd(g))
	return cmd
}

func newMigrateCreateCmd(g *globals) *cobra.Command {
	var fromFile, upSQL, downSQL string
	var fromServer bool
	var schemas []string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create up.sql and down.sql files for a migration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			up := upSQL
			if fromServer {
				if upSQL != "" || fromFile != "" {
					return fmt.Errorf("--from-server cannot be used with --up-sql or --sql-from-file")
				}
				dump, err := p.Client().PGDump(cmd.Context(), g.database, schemaDumpOptions(schemas))
				if err != nil {
					return err
				}
				up = string(dump)
			}
			if fromFile != "" {
				if upSQL != "" {
					return fmt.Errorf("--sql-from-file and --up-sql cannot be used together")
				}
				b, err := os.ReadFile(fromFile)
				if err != nil {
					return fmt.Errorf("--sql-from-file: %w", err)
				}
				up = string(b)
			}
			m, err := CreateMigration(filepath.Join(p.MigrationsDir(), g.database), args[0], up, downSQL, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Migrations files created name=%s version=%d\n", m.Name, m.Version)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&fromFile, "sql-from-file", "", "path to an SQL file which contains the SQL statements")
	f.StringVar(&upSQL, "up-sql", "", "sql string/query that is to be used to create an up migration")
	f.StringVar(&downSQL, "down-sql", "", "sql string/query that is to be used to create a down migration")
	f.BoolVar(&fromServer, "from-server", false, "take pg_dump of schema (default: public) from the server")
	f.StringSliceVar(&schemas, "schema", []string{"public"}, "name of Postgres schema to export as a migration; repeat or comma-separate for several")
	return cmd
}

func newMigrateApplyCmd(g *globals) *cobra.Command {
	var o ApplyOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Apply migrations on the database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			dbs := []string{g.database}
			if all {
				// As Hasura's CLI: every database directory of the project,
				// in name order, stopping at the first failure.
				if dbs, err = migrationDatabases(p.MigrationsDir()); err != nil {
					return err
				}
			}
			for _, db := range dbs {
				if err := Migrate(cmd.Context(), p.Client(), p.MigrationsDir(), db, o, cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&all, "all-databases", false, "set this flag to attempt to apply migrations on all databases present on server")
	f.StringVar(&o.Up, "up", "", "apply all or N up migration steps")
	f.StringVar(&o.Down, "down", "", "apply all or N down migration steps")
	f.StringVar(&o.Goto, "goto", "", "apply migration chain up to to the version specified")
	f.StringVar(&o.Version, "version", "", "only apply this particular migration")
	f.BoolVar(&o.SkipExecution, "skip-execution", false, "skip executing the migration action, but mark them as applied")
	f.StringVar(&o.Type, "type", "up", "type of migration (up, down) to be used with version flag")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the names of migrations which are going to be applied")
	return cmd
}

func newMigrateStatusCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Display current status of migrations on a database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			p, err := g.load()
			if err != nil {
				return err
			}
			local, err := LoadMigrations(filepath.Join(p.MigrationsDir(), g.database))
			if err != nil {
				return err
			}
			state, err := loadState(cmd.Context(), p.Client())
			if err != nil {
				return err
			}
			applied, err := state.Applied(g.database)
			if err != nil {
				return err
			}
			rows := statusRows(local, applied)
			if output == "json" {
				return writeStatusJSON(cmd.OutOrStdout(), g.database, rows)
			}
			return writeStatus(cmd.OutOrStdout(), rows)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// writeStatus prints Hasura's status table.
func writeStatus(out io.Writer, rows []migrationStatus) error {
	present := func(ok bool) string {
		if ok {
			return "Present"
		}
		return "Not Present"
	}
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tNAME\tSOURCE STATUS\tDATABASE STATUS")
	for _, r := range rows {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", r.Version, r.Name, present(r.SourceStatus), present(r.DatabaseStatus))
	}
	return w.Flush()
}
