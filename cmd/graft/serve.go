package main

import (
	"context"
	"os"
	"time"

	"github.com/graftql/graft/cli"
	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/configs/gcfloor"
	"github.com/graftql/graft/proxy"
	"github.com/spf13/cobra"
)

// newServeCmd is `graft serve`: flags named after the HASURA_GRAPHQL_*
// variables, which they override.
func newServeCmd() *cobra.Command {
	serve := &cobra.Command{Use: "serve", Short: "Run the GraphQL server",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configs.Load(os.Getenv, cmd.Flags())
			if err != nil {
				return err
			}
			return run(cmd.Context(), cfg)
		}}
	configs.RegisterFlags(serve.Flags())
	return serve
}

func run(ctx context.Context, cfg *configs.Config) error {
	app := proxy.NewApp(cfg, configs.NewLogger(os.Stdout, cfg.LogLevel, cfg.EnabledLogTypes))
	// Process-wide, so here rather than in the App (tests run several).
	defer gcfloor.Start(uint64(cfg.GCMinHeapMB) << 20).Stop()
	if err := app.Start(ctx); err != nil {
		return err
	}
	// As Hasura's cli-migrations image: pending migrations, then the
	// metadata, through the admin API of the server just started; a failure
	// stops start-up (main prints the one line and exits 1).
	if err := cli.AutoApply(ctx, cli.AutoApplyOptions{Endpoint: app.Server.ListenAddr(), AdminSecret: firstOf(cfg.AdminSecrets),
		MigrationsDir: os.Getenv("HASURA_GRAPHQL_MIGRATIONS_DIR"), MetadataDir: os.Getenv("HASURA_GRAPHQL_METADATA_DIR"), Out: os.Stdout}); err != nil {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Stop(stopCtx)
		return err
	}
	<-ctx.Done()
	app.Log.Info("shutting down", "type", "startup")
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return app.Stop(stopCtx)
}

func firstOf(secrets []string) string {
	if len(secrets) == 0 {
		return ""
	}
	return secrets[0]
}
