package metadata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Querier is what catalog introspection needs: a pool, a conn or a tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Catalog is what Postgres says exists: tables, columns, keys, functions.
type Catalog struct {
	Tables    map[QualifiedName]*CatalogTable
	Functions map[QualifiedName][]*CatalogFunction
	// Types maps a composite or base type name to its relation (for SETOF table functions).
	Extensions map[string]bool
}

// CatalogTable is a table, view or materialized view.
type CatalogTable struct {
	Name        QualifiedName
	Kind        string // r, v, m, p, f
	Columns     []*CatalogColumn
	PrimaryKey  []string
	Uniques     []Constraint
	ForeignKeys []ForeignKey
	Comment     *string
}

// Column returns the named column, or nil.
func (t *CatalogTable) Column(name string) *CatalogColumn {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// CatalogColumn is one column with its type.
type CatalogColumn struct {
	Name       string
	Position   int
	TypeName   string // pg_type.typname, e.g. int4, _text, geometry
	TypeSchema string
	TypeKind   string // pg_type.typtype: b base, c composite, e enum, d domain, r range
	ElemType   string // element typname for arrays, "" otherwise
	FormatType string // format_type(), e.g. "character varying(3)"
	Nullable   bool
	HasDefault bool
	Generated  bool
	Comment    *string
}

// Constraint is a unique or primary key constraint.
type Constraint struct {
	Name    string
	Columns []string
}

// ForeignKey is a foreign key constraint.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   QualifiedName
	RefColumns []string
}

// CatalogFunction is one SQL function overload.
type CatalogFunction struct {
	Name        QualifiedName
	ArgNames    []string
	ArgTypes    []QualifiedName // type schema + typname
	NumDefaults int
	ReturnType  QualifiedName
	ReturnKind  string // typtype of the return type (c for composite/table rows)
	ReturnsSet  bool
	Volatility  string // i, s, v
	Comment     *string
}

// Introspect reads the catalog of every user schema.
func Introspect(ctx context.Context, q Querier) (*Catalog, error) {
	cat := &Catalog{
		Tables:     map[QualifiedName]*CatalogTable{},
		Functions:  map[QualifiedName][]*CatalogFunction{},
		Extensions: map[string]bool{},
	}
	if err := introspectTables(ctx, q, cat); err != nil {
		return nil, err
	}
	if err := introspectConstraints(ctx, q, cat); err != nil {
		return nil, err
	}
	if err := introspectFunctions(ctx, q, cat); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT extname FROM pg_extension`)
	if err != nil {
		return nil, fmt.Errorf("introspect extensions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("introspect extensions: %w", err)
	}
	for _, n := range names {
		cat.Extensions[n] = true
	}
	return cat, nil
}

const userSchemas = `n.nspname NOT IN ('pg_catalog','information_schema','hdb_catalog','pg_toast') AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'`

func introspectTables(ctx context.Context, q Querier, cat *Catalog) error {
	rows, err := q.Query(ctx, `
SELECT n.nspname, c.relname, c.relkind::text, obj_description(c.oid, 'pg_class'),
       a.attname, a.attnum, t.typname, tn.nspname, t.typtype::text, coalesce(et.typname, ''),
       format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.atthasdef OR a.attidentity <> '',
       a.attgenerated <> '', col_description(c.oid, a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
WHERE c.relkind IN ('r','v','m','p','f') AND `+userSchemas+`
ORDER BY n.nspname, c.relname, a.attnum`)
	if err != nil {
		return fmt.Errorf("introspect tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			schema, name, kind                          string
			comment, colComment                         *string
			col, typName, typSchema, typKind, elem, fmt *string
			pos                                         *int16
			nullable, hasDef, generated                 *bool
		)
		if err := rows.Scan(&schema, &name, &kind, &comment, &col, &pos, &typName, &typSchema, &typKind, &elem,
			&fmt, &nullable, &hasDef, &generated, &colComment); err != nil {
			return err
		}
		qn := QualifiedName{Schema: schema, Name: name}
		t := cat.Tables[qn]
		if t == nil {
			t = &CatalogTable{Name: qn, Kind: kind, Comment: comment}
			cat.Tables[qn] = t
		}
		if col == nil {
			continue
		}
		t.Columns = append(t.Columns, &CatalogColumn{
			Name: *col, Position: int(*pos), TypeName: *typName, TypeSchema: *typSchema, TypeKind: *typKind,
			ElemType: *elem, FormatType: *fmt, Nullable: *nullable, HasDefault: *hasDef, Generated: *generated,
			Comment: colComment,
		})
	}
	return rows.Err()
}

func introspectConstraints(ctx context.Context, q Querier, cat *Catalog) error {
	rows, err := q.Query(ctx, `
SELECT n.nspname, c.relname, con.conname, con.contype::text,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[],
       coalesce(rn.nspname, ''), coalesce(rc.relname, ''),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[]
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p','u','f') AND `+userSchemas+`
ORDER BY n.nspname, c.relname, con.conname`)
	if err != nil {
		return fmt.Errorf("introspect constraints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var schema, table, name, typ, rschema, rtable string
		var cols, rcols []string
		if err := rows.Scan(&schema, &table, &name, &typ, &cols, &rschema, &rtable, &rcols); err != nil {
			return err
		}
		t := cat.Tables[QualifiedName{Schema: schema, Name: table}]
		if t == nil {
			continue
		}
		switch typ {
		case "p":
			t.PrimaryKey = cols
			t.Uniques = append(t.Uniques, Constraint{Name: name, Columns: cols})
		case "u":
			t.Uniques = append(t.Uniques, Constraint{Name: name, Columns: cols})
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: name, Columns: cols,
				RefTable: QualifiedName{Schema: rschema, Name: rtable}, RefColumns: rcols})
		}
	}
	return rows.Err()
}

func introspectFunctions(ctx context.Context, q Querier, cat *Catalog) error {
	rows, err := q.Query(ctx, `
SELECT n.nspname, p.proname, coalesce(p.proargnames, ARRAY[]::text[]),
       ARRAY(SELECT tn.nspname || '.' || t.typname FROM unnest(p.proargtypes) WITH ORDINALITY a(oid, ord)
             JOIN pg_type t ON t.oid = a.oid JOIN pg_namespace tn ON tn.oid = t.typnamespace ORDER BY a.ord)::text[],
       p.pronargdefaults, rtn.nspname, rt.typname, rt.typtype::text, p.proretset, p.provolatile::text,
       obj_description(p.oid, 'pg_proc')
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type rt ON rt.oid = p.prorettype
JOIN pg_namespace rtn ON rtn.oid = rt.typnamespace
WHERE p.prokind = 'f' AND `+userSchemas+` AND n.nspname NOT IN ('topology', 'tiger')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
ORDER BY n.nspname, p.proname`)
	if err != nil {
		return fmt.Errorf("introspect functions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		f := &CatalogFunction{}
		var argTypes []string
		var nd int16
		if err := rows.Scan(&f.Name.Schema, &f.Name.Name, &f.ArgNames, &argTypes, &nd, &f.ReturnType.Schema,
			&f.ReturnType.Name, &f.ReturnKind, &f.ReturnsSet, &f.Volatility, &f.Comment); err != nil {
			return err
		}
		f.NumDefaults = int(nd)
		for _, at := range argTypes {
			f.ArgTypes = append(f.ArgTypes, splitQualified(at))
		}
		// proargnames also lists OUT arguments; keep only the input ones' names.
		if len(f.ArgNames) > len(f.ArgTypes) {
			f.ArgNames = f.ArgNames[:len(f.ArgTypes)]
		}
		cat.Functions[f.Name] = append(cat.Functions[f.Name], f)
	}
	return rows.Err()
}

func splitQualified(s string) QualifiedName {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return QualifiedName{Schema: s[:i], Name: s[i+1:]}
		}
	}
	return QualifiedName{Name: s}
}
