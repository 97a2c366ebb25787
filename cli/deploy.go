package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

func newDeployCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:          "deploy",
		Short:        "Apply migrations, then metadata, then reload the metadata",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.load()
			if err != nil {
				return err
			}
			return Deploy(cmd.Context(), p.Client(), p.MigrationsDir(), p.MetadataDir(), cmd.OutOrStdout())
		},
	}
	g.addServerFlags(cmd.Flags())
	return cmd
}

// Deploy applies the pending migrations of every database directory under
// migrationsDir, then the metadata of metadataDir, then reloads the metadata.
// An empty directory argument skips that part. It is idempotent: a second run
// finds nothing to migrate and replaces the metadata by the same one.
func Deploy(ctx context.Context, c *Client, migrationsDir, metadataDir string, out io.Writer) error {
	if migrationsDir != "" {
		dbs, err := migrationDatabases(migrationsDir)
		if err != nil {
			return err
		}
		for _, db := range dbs {
			if err := Migrate(ctx, c, migrationsDir, db, ApplyOptions{}, out); err != nil {
				return err
			}
		}
	}
	if metadataDir == "" {
		return nil
	}
	if err := ApplyMetadata(ctx, c, metadataDir); err != nil {
		return err
	}
	fmt.Fprintln(out, "Metadata applied")
	consistent, err := ReloadMetadata(ctx, c)
	if err != nil {
		return err
	}
	if !consistent {
		return fmt.Errorf("metadata is inconsistent after reload: see `graft metadata ic list`")
	}
	fmt.Fprintln(out, "Metadata reloaded")
	return nil
}

// AutoApplyOptions are what `graft serve` passes to AutoApply.
type AutoApplyOptions struct {
	// Endpoint is the listening address of the server just started
	// ("host:port" or a URL); an unspecified host (0.0.0.0, ::) means loopback.
	Endpoint      string
	AdminSecret   string // any one of the server's admin secrets
	MigrationsDir string // HASURA_GRAPHQL_MIGRATIONS_DIR; empty: no migrations
	MetadataDir   string // HASURA_GRAPHQL_METADATA_DIR; empty: no metadata
	Out           io.Writer
}

// AutoApply is Hasura's cli-migrations start-up step: serve calls it once its
// HTTP server listens and before it reports ready. It applies pending
// migrations and then the metadata through the server's own admin API, so
// it takes the same path, locks and checks as `graft deploy`.
func AutoApply(ctx context.Context, o AutoApplyOptions) error {
	if o.MigrationsDir == "" && o.MetadataDir == "" {
		return nil
	}
	endpoint, err := loopbackEndpoint(o.Endpoint)
	if err != nil {
		return err
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	start := time.Now()
	if err := Deploy(ctx, NewClient(endpoint, o.AdminSecret), o.MigrationsDir, o.MetadataDir, out); err != nil {
		return fmt.Errorf("auto-apply of migrations and metadata failed: %w", err)
	}
	fmt.Fprintf(out, "migrations and metadata applied in %s\n", since(start))
	return nil
}

// loopbackEndpoint turns a listen address into a URL this process can dial.
func loopbackEndpoint(addr string) (string, error) {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		u = &url.URL{Scheme: "http", Host: addr}
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", fmt.Errorf("auto-apply: bad server address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	u.Host = net.JoinHostPort(host, port)
	return u.String(), nil
}
