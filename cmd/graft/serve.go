package main

import (
	"context"
	"os"
	"time"

	"github.com/graftql/graft/configs"
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
	if err := app.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	app.Log.Info("shutting down", "type", "startup")
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return app.Stop(stopCtx)
}
