package cli

import (
	"context"
	"regexp"
	"strings"
)

// noTransactionMarker, a line comment among the comments that open up.sql
// or down.sql, makes that migration run outside a transaction. Hasura's CLI
// has no such switch (hasura/graphql-engine#2939) — its server's run_sql
// has no_transaction, which the marker turns on — so Graft chooses one.
var noTransactionMarker = regexp.MustCompile(`(?i)^--\s*graft:\s*no-transaction\s*$`)

// isNoTransaction reports whether sql opens with the no-transaction marker
// (blank lines and other comments may come before it).
func isNoTransaction(sql string) bool {
	for _, line := range strings.Split(sql, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case noTransactionMarker.MatchString(line):
			return true
		case strings.HasPrefix(line, "--"):
		default:
			return false
		}
	}
	return false
}

// applyNoTransaction runs a no-transaction migration: its SQL as one
// top-level run_sql with no_transaction, each statement committing on its
// own (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE, VACUUM), and
// then the new version. A failure part way leaves the statements before it
// applied and the version unrecorded, so the migration is run again after
// it is fixed: write such migrations so they can run twice (IF NOT EXISTS).
func (mg *migrator) applyNoTransaction(ctx context.Context, sql string, next map[string]any) error {
	body := op("run_sql", map[string]any{"sql": sql, "source": mg.database, "no_transaction": true})
	if err := mg.c.Query(ctx, body, nil); err != nil {
		return err
	}
	return mg.state.save(ctx, next)
}
