package cli

import (
	"context"
	"fmt"
	"strings"
)

// PGDump posts to the server's /v1alpha1/pg_dump, as Hasura's CLI does for
// `migrate create --from-server` and `seed create --from-table`, and
// returns the SQL.
func (c *Client) PGDump(ctx context.Context, source string, opts []string) ([]byte, error) {
	body := map[string]any{"opts": opts, "clean_output": true, "source": source}
	out, err := c.postRaw(ctx, "/v1alpha1/pg_dump", body)
	if err != nil {
		return nil, fmt.Errorf("%s/v1alpha1/pg_dump: %w", c.Endpoint, err)
	}
	return out, nil
}

// schemaDumpOptions are the options Hasura's CLI passes for
// `migrate create --from-server`: the schemas' DDL, without owners or grants.
func schemaDumpOptions(schemas []string) []string {
	opts := []string{"-O", "-x", "--schema-only"}
	for _, s := range schemas {
		opts = append(opts, "--schema", s)
	}
	return opts
}

// dataDumpOptions are the options Hasura's CLI passes for
// `seed create --from-table`: rows as INSERTs naming their columns. Each
// table is quoted (as Hasura's CLI does, for names with capitals); schema
// is public unless given as schema.table.
func dataDumpOptions(tables []string) ([]string, error) {
	opts := []string{"--no-owner", "--no-acl", "--data-only", "--column-inserts"}
	for _, t := range tables {
		parts := strings.Split(t, ".")
		switch {
		case len(parts) == 1 && parts[0] != "":
			opts = append(opts, "--table", quotePattern(parts[0]))
		case len(parts) == 2 && parts[0] != "" && parts[1] != "":
			opts = append(opts, "--table", quotePattern(parts[0])+"."+quotePattern(parts[1]))
		default:
			return nil, fmt.Errorf("--from-table %q: expected table or schema.table", t)
		}
	}
	return opts, nil
}

// quotePattern quotes a name for pg_dump's --table pattern, where quotes
// also turn off the pattern characters * ? and case folding.
func quotePattern(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
