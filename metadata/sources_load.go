package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sourceIntrospectTimeout bounds reading an added source's catalog: an
// unreachable database makes its source inconsistent, not every metadata
// request slow.
const sourceIntrospectTimeout = 10 * time.Second

// addedSources reads the catalog of every added postgres source through its
// own pool, once per request (run_sql on a source reads it again).
func (w *work) addedSources() map[string]AddedSource {
	if w.added == nil {
		w.added = map[string]AddedSource{}
	}
	out := make(map[string]AddedSource, len(w.md.Sources))
	for i := range w.md.Sources {
		src := &w.md.Sources[i]
		if src.Name == "default" || (src.Kind != "" && src.Kind != "postgres") {
			continue
		}
		if a, ok := w.added[src.Name]; ok {
			out[src.Name] = a
			continue
		}
		a := w.m.loadSource(w.ctx, w.md, src.Name)
		w.added[src.Name] = a
		out[src.Name] = a
	}
	return out
}

// loadSource introspects one added source.
func (m *Manager) loadSource(ctx context.Context, md *Metadata, name string) AddedSource {
	ctx, cancel := context.WithTimeout(ctx, sourceIntrospectTimeout)
	defer cancel()
	pool, err := m.sourcePool(ctx, md, name)
	if err != nil {
		return AddedSource{Err: err}
	}
	cat, err := Introspect(ctx, pool)
	if err != nil {
		return AddedSource{Err: fmt.Errorf("read the catalog of source %q: %w", name, err)}
	}
	return AddedSource{Catalog: cat, LoadEnum: func(t *CatalogTable) ([]EnumValue, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sourceIntrospectTimeout)
		defer cancel()
		return loadEnumValues(ctx, pool, t)
	}}
}

// forgetSource drops what the request read of a source, after DDL on it.
func (w *work) forgetSource(name string) { delete(w.added, name) }

// SourcePool returns the pool of a source of the current metadata ("" or
// "default": the default source's), opening it on first use.
func (m *Manager) SourcePool(ctx context.Context, name string) (*pgxpool.Pool, error) {
	return m.sourcePool(ctx, m.Snapshot().Metadata, name)
}

// loadEnumValues reads an enum table's rows.
func loadEnumValues(ctx context.Context, q Querier, t *CatalogTable) ([]EnumValue, error) {
	pk := t.PrimaryKey[0]
	comment := "NULL::text"
	for _, c := range t.Columns {
		if c.Name != pk {
			comment = QuoteIdent(c.Name) + "::text"
		}
	}
	rows, err := q.Query(ctx, "SELECT "+QuoteIdent(pk)+"::text, "+comment+" FROM "+t.Name.SQL()+" ORDER BY 1")
	if err != nil {
		return nil, fmt.Errorf("read enum values of %s: %w", t.Name.String(), err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (EnumValue, error) {
		var v EnumValue
		err := r.Scan(&v.Value, &v.Comment)
		return v, err
	})
}
