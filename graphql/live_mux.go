package graphql

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

// Multiplexing: cohorts whose root statement has the same SQL text (same
// query shape; values differ only in bind parameters) are refetched with
// one statement per batch. Each cohort's parameters become a row of an
// unnest; the statement runs once per row, LATERAL-style, as a scalar
// subquery:
//
//	SELECT _mx.i, (<statement with $k -> _mx.pk>) FROM unnest($1::int[], $2::text[], ...) AS _mx(i, p1, ...)
//
// LIMIT and OFFSET cannot refer to a row, so their values are part of the
// group key and written as numbers.

// MuxBatchSize caps the cohorts in one multiplexed statement
// (HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE).
const defaultMuxBatch = 100

var (
	paramRef   = regexp.MustCompile(`\$(\d+)`)
	limitParam = regexp.MustCompile(`(LIMIT|OFFSET) \$(\d+)`)
)

// muxPlan is how a cohort's statement is multiplexed; nil when it cannot be.
type muxPlan struct {
	key    string // source and SQL with LIMIT/OFFSET values: cohorts sharing it run together
	sql    string // the statement with $k rewritten to _mx.pk
	params []int  // the $k that become columns, in order
	source string // the source whose pool runs it
}

// planMux prepares a cohort with one SQL root field for multiplexing.
func planMux(c *cohort) *muxPlan {
	if len(c.fields) != 1 || c.fields[0].sql == "" {
		return nil
	}
	f := c.fields[0]
	literal := map[int]string{}
	for _, m := range limitParam.FindAllStringSubmatch(f.sql, -1) {
		k, _ := strconv.Atoi(m[2])
		n, ok := f.args[k-1].(int64)
		if !ok {
			return nil
		}
		literal[k] = strconv.FormatInt(n, 10)
	}
	sql := limitParam.ReplaceAllStringFunc(f.sql, func(s string) string {
		parts := strings.SplitN(s, " $", 2)
		k, _ := strconv.Atoi(parts[1])
		return parts[0] + " " + literal[k]
	})
	// Every other parameter must be cast, so a text column can stand in.
	var params []int
	seen := map[int]bool{}
	ok := true
	for _, loc := range paramRef.FindAllStringSubmatchIndex(sql, -1) {
		k, _ := strconv.Atoi(sql[loc[2]:loc[3]])
		if !strings.HasPrefix(sql[loc[1]:], "::") {
			ok = false
		}
		if !seen[k] {
			seen[k] = true
			params = append(params, k)
		}
	}
	if !ok {
		return nil
	}
	rewritten := paramRef.ReplaceAllString(sql, "_mx.p$1")
	return &muxPlan{key: sourceKey(f.source) + "\x00" + sql, sql: rewritten, params: params, source: f.source}
}

// paramText renders a bind argument as the text its cast parses.
func paramText(v any) (*string, bool) {
	var s string
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		s = v
	case int64:
		s = strconv.FormatInt(v, 10)
	case []*string:
		items := make([]any, len(v))
		for i, x := range v {
			if x != nil {
				items[i] = *x
			}
		}
		lit, err := arrayLiteral(items)
		if err != nil {
			return nil, false
		}
		s = lit
	case []string:
		items := make([]any, len(v))
		for i, x := range v {
			items[i] = x
		}
		lit, err := arrayLiteral(items)
		if err != nil {
			return nil, false
		}
		s = lit
	default:
		return nil, false
	}
	return &s, true
}

// runMux fetches a group of cohorts sharing one plan with one statement,
// returning each cohort's body; ok is false when a cohort's arguments
// cannot travel as text (the caller then fetches them one by one).
func (l *Live) runMux(ctx context.Context, plan *muxPlan, group []*cohort) (map[*cohort][]byte, bool) {
	idx := make([]int32, len(group))
	cols := make([][]*string, len(plan.params))
	for i, c := range group {
		idx[i] = int32(i)
		for j, k := range plan.params {
			s, ok := paramText(c.fields[0].args[k-1])
			if !ok {
				return nil, false
			}
			cols[j] = append(cols[j], s)
		}
	}
	var sb strings.Builder
	sb.WriteString("SELECT _mx.i, (" + plan.sql + ") AS j FROM unnest($1::int4[]")
	args := []any{idx}
	for j := range plan.params {
		sb.WriteString(", $" + strconv.Itoa(j+2) + "::text[]")
		args = append(args, cols[j])
	}
	sb.WriteString(") AS _mx(i")
	for _, k := range plan.params {
		sb.WriteString(", p" + strconv.Itoa(k))
	}
	sb.WriteString(")")
	l.statements.Add(1)
	pool, err := l.e.poolFor(ctx, plan.source)
	if err != nil {
		return nil, false
	}
	rows, err := pool.Query(ctx, sb.String(), args...)
	if err != nil {
		return nil, false
	}
	defer rows.Close()
	out := make(map[*cohort][]byte, len(group))
	for rows.Next() {
		var i int32
		var j []byte
		if err := rows.Scan(&i, &j); err != nil {
			return nil, false
		}
		out[group[i]] = wrapData(group[i].fields[0].key, j)
	}
	if rows.Err() != nil {
		return nil, false
	}
	return out, true
}

// wrapData builds {"data":{"<key>":<value>}} around one root field's JSON.
func wrapData(key string, value []byte) []byte {
	b := make([]byte, 0, len(value)+len(key)+16)
	b = append(b, `{"data":{`...)
	b = strconv.AppendQuote(b, key)
	b = append(b, ':')
	if value == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, value...)
	}
	return append(b, "}}"...)
}
