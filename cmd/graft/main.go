// Command graft is the Graft server and CLI: `graft serve` runs the
// Hasura-compatible GraphQL server; `graft jwt` and `graft subscribe` help
// try it as a user; init, migrate, metadata, seed and deploy are Hasura's
// project CLI (package cli); `graft version` prints the version.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/graftql/graft/cli"
	"github.com/graftql/graft/proxy"
	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{Use: "graft", Short: "Instant Hasura-compatible GraphQL over PostgreSQL", SilenceUsage: true, SilenceErrors: true}
	version := &cobra.Command{Use: "version", Short: "Print the version", Run: func(*cobra.Command, []string) {
		fmt.Println("graft", proxy.Version)
	}}
	root.AddCommand(newServeCmd(), newJWTCmd(os.Getenv), newSubscribeCmd(), version)
	root.AddCommand(cli.Commands()...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "graft:", err)
		os.Exit(1)
	}
}
