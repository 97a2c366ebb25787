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

	"github.com/graftql/graft/authz"
	"github.com/graftql/graft/configs"
	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
	"github.com/graftql/graft/proxy"
	"github.com/jackc/pgx/v5/pgxpool"
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
	log := configs.NewLogger(os.Stdout, cfg.LogLevel, cfg.EnabledLogTypes)
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("HASURA_GRAPHQL_DATABASE_URL: %w", err)
	}
	poolCfg.MaxConns = int32(cfg.PGConnections)
	// Hasura runs every query in UTC; so does Graft, whatever the server's default.
	poolCfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(startCtx, poolCfg)
	if err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	defer pool.Close()
	if err := pool.Ping(startCtx); err != nil {
		return fmt.Errorf("connect to database: %w", err)
	}
	meta := metadata.NewManager(pool, log)
	if err := meta.Start(startCtx); err != nil {
		return fmt.Errorf("load metadata: %w", err)
	}
	defer meta.Stop(context.Background())
	srv := &proxy.Server{
		Addr:   cfg.ListenAddr(),
		Engine: graphql.NewEngine(meta, pool, log),
		Meta:   meta,
		Auth:   &authz.Resolver{AdminSecrets: cfg.AdminSecrets, UnauthorizedRole: cfg.UnauthorizedRole},
		Log:    log,
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr(), err)
	}
	log.Info("server started", "type", "startup", "kind", "server", "port", cfg.Port, "version", proxy.Version)
	<-ctx.Done()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelStop()
	log.Info("shutting down", "type", "startup")
	return srv.Stop(stopCtx)
}
