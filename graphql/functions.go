package graphql

import (
	"strconv"
	"strings"

	"github.com/graftql/graft/metadata"
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
	return funcSQL(cf.Function.Name) + "(" + a + ")", nil
}

func (c *compiler) tableOfComputed(cf *metadata.ComputedField) *metadata.Table {
	return c.rs.Snapshot.Table(cf.Function.ArgTypes[cf.TableArgIndex])
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
