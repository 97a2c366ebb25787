package graphql

import (
	"context"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Each root field runs on its own source's pool. A request whose fields
// all read one source runs as before, in one round trip; one mixing
// sources sends each source its statements at once, concurrently, and
// answers in request order (runMixed). Mutations run in one transaction
// when they write one source, else in one transaction per root field, in
// request order (mutation.go).

// SourcePools is what the engine's metadata source offers for sources
// other than the default one (metadata.Manager does).
type SourcePools interface {
	SourcePool(ctx context.Context, name string) (*pgxpool.Pool, error)
}

// sourcePool returns the pool of a source by name ("" or "default": the
// engine's own), nil when the source is unknown or cannot be opened.
func (e *Engine) sourcePool(name string) *pgxpool.Pool {
	p, err := e.poolFor(context.Background(), name)
	if err != nil {
		return nil
	}
	return p
}

// poolFor is sourcePool with the reason when there is no pool.
func (e *Engine) poolFor(ctx context.Context, name string) (*pgxpool.Pool, error) {
	if name == "" || name == "default" {
		return e.pool, nil
	}
	sp, ok := e.meta.(SourcePools)
	if !ok {
		return nil, &queryError{Code: "unexpected", Path: "$", Message: "source \"" + name + "\" has no connection pool"}
	}
	p, err := sp.SourcePool(ctx, name)
	if err != nil {
		return nil, &queryError{Code: "unexpected", Path: "$", Message: "source \"" + name + "\": " + err.Error()}
	}
	return p, nil
}

func sameSource(a, b string) bool { return sourceKey(a) == sourceKey(b) }

func sourceKey(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// rootSource is the source a query_root or subscription_root field reads.
func (rs *roleSchema) rootSource(name string) string {
	if ns := rs.namespaces[name]; ns != nil {
		return ns.source
	}
	if rf, ok := rs.roots[name]; ok && rf.Table != nil {
		return sourceKey(rf.Table.Source)
	}
	if t := rs.streams[name]; t != nil {
		return sourceKey(t.Source)
	}
	return "default"
}

// mutationSource is the source a mutation_root field writes.
func (rs *roleSchema) mutationSource(name string) string {
	if ns := rs.namespaces[name]; ns != nil {
		return ns.source
	}
	if mf, ok := rs.mroots[name]; ok && mf.Table != nil {
		return sourceKey(mf.Table.Source)
	}
	return "default"
}

// namespaceSQL compiles a namespace field: one statement building the
// object of the root fields selected inside it, each compiled as at the
// root, so the namespace still costs one statement.
func (c *compiler) namespaceSQL(ns *namespace, g *fieldGroup, path string) (string, error) {
	typ := ns.queryType
	if c.subscription {
		typ = ns.subscriptionType
	}
	subs := c.subFields(g, typ)
	parts := make([]string, 0, 2*len(subs))
	for _, sg := range subs {
		spath := path + ".selectionSet." + sg.Key
		parts = append(parts, quoteLiteral(sg.Key))
		if sg.Name == "__typename" {
			parts = append(parts, quoteLiteral(typ)+"::text")
			continue
		}
		rf, ok := ns.roots[sg.Name]
		if !ok {
			return "", validationErr(spath, "field %q not found in type: '%s'", sg.Name, typ)
		}
		sql, err := c.rootSQL(rf, sg, spath)
		if err != nil {
			return "", err
		}
		parts = append(parts, "("+sql+")")
	}
	if len(parts) == 0 {
		return "SELECT '{}'::json AS j", nil
	}
	return "SELECT json_build_object(" + strings.Join(parts, ", ") + ") AS j", nil
}

// runMixed runs fields that read several sources: each source's statements
// in one round trip on its pool, the sources concurrently.
func (e *Engine) runMixed(ctx context.Context, fields []plannedField) Result {
	bySource := map[string][]int{}
	for i, f := range fields {
		if f.sql != "" {
			k := sourceKey(f.source)
			bySource[k] = append(bySource[k], i)
		}
	}
	results := make([][]byte, len(fields))
	errs := make([]error, len(fields))
	var wg sync.WaitGroup
	for source, idx := range bySource {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := e.poolFor(ctx, source)
			if err != nil {
				errs[idx[0]] = err
				return
			}
			for _, i := range idx {
				if err := pool.QueryRow(ctx, fields[i].sql, fields[i].args...).Scan(&results[i]); err != nil {
					errs[i] = dbError(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Result{Body: errorBody(err)}
		}
	}
	return Result{Body: dataBody(fields, results)}
}
