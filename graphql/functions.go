package graphql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// callArgs renders a function call's arguments: the row (rowIdx), the
// session JSON (sessionIdx) and the user's `args`. Named notation is used
// when an argument is skipped, so its default applies.
func (c *compiler) callArgs(fn *metadata.CatalogFunction, rowExpr string, rowIdx, sessionIdx int, args object) (string, error) {
	type arg struct {
		i    int
		expr string
	}
	var given []arg
	for i, at := range fn.ArgTypes {
		switch {
		case i == rowIdx:
			given = append(given, arg{i, rowExpr})
		case i == sessionIdx:
			given = append(given, arg{i, c.param(c.session.JSON()) + "::json"})
			c.notReusable = true // the whole session: no slot refills it
		default:
			name := "arg_" + strconv.Itoa(i+1)
			if i < len(fn.ArgNames) && fn.ArgNames[i] != "" {
				name = fn.ArgNames[i]
			}
			v, ok := args.get(name)
			if !ok {
				continue
			}
			e, err := c.typed(v, pgType{Schema: at.Schema, Name: at.Name})
			if err != nil {
				return "", err
			}
			given = append(given, arg{i, e})
		}
	}
	positional := true
	for k, a := range given {
		if a.i != k {
			positional = false
		}
	}
	parts := make([]string, len(given))
	for k, a := range given {
		if positional {
			parts[k] = a.expr
		} else {
			parts[k] = quoteIdent(fn.ArgNames[a.i]) + " => " + a.expr
		}
	}
	return strings.Join(parts, ", "), nil
}

func funcSQL(q metadata.QualifiedName) string { return q.SQL() }

// rowExpr rebuilds a row of the table from its alias, typed as the table's
// composite type, so functions taking the row accept it.
func rowExpr(t *metadata.Table, alias string) string {
	cols := make([]string, len(t.Info.Columns))
	for i, c := range t.Info.Columns {
		cols[i] = alias + "." + quoteIdent(c.Name)
	}
	return "ROW(" + strings.Join(cols, ", ") + ")::" + t.Name.SQL()
}

// computedCall is the SQL call of a computed field for the row at alias.
func (c *compiler) computedCall(cf *metadata.ComputedField, alias string, args object) (string, error) {
	c.volatile = true // the function may read any table
	t := c.tableOfComputed(cf)
	a, err := c.callArgs(cf.Function, rowExpr(t, alias), cf.TableArgIndex, cf.SessionArgIndex, args)
	if err != nil {
		return "", err
	}
	call := funcSQL(cf.Function.Name) + "(" + a + ")"
	if cf.ReturnsTable != nil {
		return call, nil // a FROM item: its rows follow the returned table's permissions
	}
	return c.inheritedGuard(t, c.rs.access[t], alias, call, func(pa *tableAccess) bool { return pa.Computed[cf.Name] })
}

// tableOfComputed is the table cf is a computed field of, in whichever
// source it lives.
func (c *compiler) tableOfComputed(cf *metadata.ComputedField) *metadata.Table {
	q := cf.Function.ArgTypes[cf.TableArgIndex]
	for _, src := range c.rs.Snapshot.AllSources() {
		if t := src.Table(q); t != nil && slices.Contains(t.ComputedFields, cf) {
			return t
		}
	}
	return c.rs.Snapshot.Table(q)
}

// functionFrom is the FROM item of a tracked function root field.
func (c *compiler) functionFrom(f *metadata.Function, g *fieldGroup) (string, error) {
	v, _ := c.arg(g, "args")
	a, err := c.callArgs(f.Info, "", -1, f.SessionArgIndex, asObject(v))
	if err != nil {
		return "", err
	}
	return funcSQL(f.Name) + "(" + a + ")", nil
}

// addFunctionMutations adds the mutation_root fields of the tracked
// functions that return t's rows and are exposed as mutations (VOLATILE
// functions by default, or exposed_as: mutation). As for query functions,
// a role may call one when it may select from the returned table, and sees
// only the rows that select permission lets through. Hasura exposes no
// aggregate field for them.
func (b *schemaBuilder) addFunctionMutations(t *metadata.Table, fields graphql.Fields) {
	if b.rs.access[t] == nil {
		return
	}
	for _, f := range b.rs.Snapshot.Source(t.Source).Functions {
		if f.ReturnsTable != t || !f.ExposedAsMutation {
			continue
		}
		fields[f.RootFields.Function] = b.functionField(f, false)
		b.rs.mroots[f.RootFields.Function] = mutationField{Kind: mutFunction, Table: t, Function: f}
	}
}

// callFunction runs a function mutation in the mutation's transaction, so
// that its writes commit or roll back with the other root fields.
func (m *mutator) callFunction(f *metadata.Function, g *fieldGroup, path string) ([]byte, error) {
	// A volatile function may write any table: every live query re-runs.
	for _, t := range m.rs.Snapshot.Tables {
		m.written[t.Name] = true
	}
	c := m.compiler()
	from, err := c.functionFrom(f, g)
	if err != nil {
		return nil, err
	}
	sql, err := c.functionRowsSQL(f, from, g, path)
	if err != nil {
		return nil, err
	}
	return m.queryOne(sql, c.args, false)
}

// functionRowsSQL selects a function root field's result: the list of rows
// for a SETOF function; for one returning a single row, that row's object
// (the list's first element, NULL when the arguments filter it out), as
// Hasura types it.
func (c *compiler) functionRowsSQL(f *metadata.Function, from string, g *fieldGroup, path string) (string, error) {
	sql, err := c.listSQL(f.ReturnsTable, from, "", g, path)
	if err != nil || f.Info.ReturnsSet {
		return sql, err
	}
	return "SELECT ((" + sql + ") -> 0) AS j", nil
}
