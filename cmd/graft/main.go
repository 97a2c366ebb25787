// Command graft is the Graft server and CLI: `graft serve` runs the
// Hasura-compatible GraphQL server, `graft version` prints the version.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/proxy"
	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{Use: "graft", Short: "Instant Hasura-compatible GraphQL over PostgreSQL", SilenceUsage: true, SilenceErrors: true}
	serve := &cobra.Command{Use: "serve", Short: "Run the GraphQL server", RunE: func(cmd *cobra.Command, _ []string) error {
		cfg, err := configs.Load(os.Getenv, cmd.Flags())
		if err != nil {
			return err
		}
		return run(cmd.Context(), cfg)
	}}
	configs.RegisterFlags(serve.Flags())
	version := &cobra.Command{Use: "version", Short: "Print the version", Run: func(*cobra.Command, []string) {
		fmt.Println("graft", proxy.Version)
	}}
	root.AddCommand(serve, version)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "graft:", err)
		os.Exit(1)
	}
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
