package cli

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Commands returns Graft's project commands — init, migrate, metadata, seed
// and deploy — for the graft root command, with Hasura CLI's names, flags
// and environment variables.
func Commands() []*cobra.Command { return commands(os.Getenv) }

func commands(getenv func(string) string) []*cobra.Command {
	g := &globals{getenv: getenv}
	return []*cobra.Command{newInitCmd(g), newMigrateCmd(g), newMetadataCmd(g), newSeedCmd(g), newDeployCmd(g)}
}

// globals are the flags every project command shares.
type globals struct {
	getenv      func(string) string
	project     string
	endpoint    string
	adminSecret string
	database    string
	envfile     string
}

// addServerFlags registers --project, --envfile, --endpoint and --admin-secret.
func (g *globals) addServerFlags(fs *pflag.FlagSet) {
	fs.StringVar(&g.project, "project", "", "directory where commands are executed (default: current dir)")
	fs.StringVar(&g.envfile, "envfile", defaultEnvfile, ".env filename to load ENV vars from (relative to the project directory)")
	fs.StringVar(&g.endpoint, "endpoint", "", `http(s) endpoint for Graft (env "HASURA_GRAPHQL_ENDPOINT")`)
	fs.StringVar(&g.adminSecret, "admin-secret", "", `admin secret for Graft (env "HASURA_GRAPHQL_ADMIN_SECRET")`)
}

// addDatabaseFlag registers --database-name.
func (g *globals) addDatabaseFlag(fs *pflag.FlagSet) {
	fs.StringVar(&g.database, "database-name", "default", "database on which operation should be applied")
}

// load reads the project with the flags given, the environment and the
// project's envfile.
func (g *globals) load() (*Project, error) {
	getenv, err := withEnvfile(g.getenv, g.project, g.envfile)
	if err != nil {
		return nil, err
	}
	return LoadProject(g.project, getenv, Overrides{Endpoint: g.endpoint, AdminSecret: g.adminSecret})
}
