package metadata

import (
	"context"
	"encoding/json"
	"strings"
)

// runSQLNoTransaction serves a top-level run_sql with no_transaction: true:
// each statement runs on its own, in autocommit, before the metadata
// transaction begins, so that statements Postgres refuses in a transaction
// block (CREATE INDEX CONCURRENTLY, VACUUM) work; CREATE INDEX CONCURRENTLY
// would also wait forever for the metadata transaction to end. A
// multi-statement simple query is an implicit transaction block, hence the
// split. Then, as for any run_sql, the metadata follows the DDL. handled is
// false for every other request. The admin session setup is left out: it
// is transaction-local.
func (m *Manager) runSQLNoTransaction(ctx context.Context, r *Request, expect int64) (res any, handled bool, err error) {
	if r.Type != "run_sql" {
		return nil, false, nil
	}
	var a runSQLArgs
	if json.Unmarshal(r.Args, &a) != nil || !a.NoTransaction || a.ReadOnly || (a.Source != "" && a.Source != "default") {
		return nil, false, nil
	}
	var before map[uint32]*relColumns
	var baseline map[string]bool // inconsistent before the DDL, not after it
	var prev *Catalog
	if snap := m.Snapshot(); snap != nil && a.checksMetadata() {
		prev = snap.Catalog
		if before, err = trackedOIDs(ctx, m.pool, snap.Metadata); err != nil {
			return nil, true, err
		}
		baseline = map[string]bool{}
		for _, inc := range snap.Inconsistent {
			baseline[inc.Name] = true
		}
	}
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, true, pgError(err)
	}
	res = map[string]any{"result_type": "CommandOk", "result": nil}
	w := &work{ctx: ctx, m: m}
	for _, stmt := range splitSQL(a.SQL) {
		if res, err = execSQL(w, conn.Conn().PgConn(), stmt); err != nil {
			conn.Release()
			return nil, true, err
		}
	}
	conn.Release()
	res, err = m.runExpecting(ctx, expect, func(w *work) (any, error) {
		if baseline != nil {
			w.baseline = baseline
			if err := w.afterDDL(before, prev, a.Cascade); err != nil {
				return nil, err
			}
		}
		return res, nil
	})
	return res, true, err
}

// splitSQL cuts a script into statements at top-level semicolons, skipping
// those inside quotes, dollar quotes and comments. Statements that are only
// whitespace or comments are dropped.
func splitSQL(sql string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if stmt := sql[start:end]; hasCode(stmt) {
			out = append(out, stmt)
		}
		start = end + 1
	}
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '\'' || c == '"':
			i = skipQuoted(sql, i, c)
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			i = skipUntil(sql, i, "\n")
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			i = skipUntil(sql, i+2, "*/") + 1
		case c == '$':
			if tag := dollarTag(sql[i:]); tag != "" {
				i = skipUntil(sql, i+len(tag), tag) + len(tag) - 1
			}
		case c == ';':
			flush(i)
		}
	}
	if start < len(sql) {
		flush(len(sql))
	}
	return out
}

// skipQuoted returns the index of the quote closing the one at i; a doubled
// quote is an escaped one.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(s) - 1
}

// skipUntil returns the index where end starts at or after from, or the
// last index when it never does.
func skipUntil(s string, from int, end string) int {
	if from >= len(s) {
		return len(s) - 1
	}
	if k := strings.Index(s[from:], end); k >= 0 {
		return from + k
	}
	return len(s) - 1
}

// dollarTag returns the $tag$ opening s, or "" when s does not open one.
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1]
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return ""
		}
	}
	return ""
}

// hasCode reports whether a statement holds more than whitespace and comments.
func hasCode(stmt string) bool {
	for _, line := range strings.Split(stmt, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return true
		}
	}
	return false
}
