package graphql

import (
	"strings"

	"github.com/graftql/graft/metadata"
)

// roleAccess is accessFor extended to inherited roles: a role without its
// own select permission on a table combines its parents' permissions, as
// Hasura does. A row is visible when any parent's filter allows it; a column
// is readable when any parent grants it, and it reads NULL on rows that only
// parents lacking the column let through.
func roleAccess(t *metadata.Table, role string, inherited map[string][]string) *tableAccess {
	if a := accessFor(t, role); a != nil {
		return a
	}
	parents, ok := inherited[role]
	if !ok {
		return nil
	}
	var granted []*tableAccess
	for _, p := range parents {
		if pa := roleAccess(t, p, inherited); pa != nil {
			granted = append(granted, pa)
		}
	}
	switch len(granted) {
	case 0:
		return nil
	case 1:
		return granted[0]
	}
	a := &tableAccess{Columns: map[string]bool{}, Computed: map[string]bool{}, Parents: granted}
	unlimitedRows := false
	for _, pa := range granted {
		for c := range pa.Columns {
			a.Columns[c] = true
		}
		for c := range pa.Computed {
			a.Computed[c] = true
		}
		a.AllowAgg = a.AllowAgg || pa.AllowAgg
		a.RootSel, a.RootByPk, a.RootAgg = a.RootSel || pa.RootSel, a.RootByPk || pa.RootByPk, a.RootAgg || pa.RootAgg
		a.Unlimited = a.Unlimited || pa.Unlimited
		if pa.Limit == nil {
			unlimitedRows = true
		} else if a.Limit == nil || *pa.Limit > *a.Limit {
			a.Limit = pa.Limit
		}
	}
	if unlimitedRows {
		a.Limit = nil
	}
	return a
}

// inheritedFilter ORs the parents' filters of an inherited role; ok is false
// for a plain role.
func (c *compiler) inheritedFilter(parents []*tableAccess, t *metadata.Table, alias string) (string, error) {
	var parts []string
	for _, pa := range parents {
		if len(pa.Parents) > 0 {
			// A parent that is itself inherited lets through what any of
			// its own parents does.
			f, err := c.inheritedFilter(pa.Parents, t, alias)
			if err != nil {
				return "", err
			}
			parts = append(parts, f)
			continue
		}
		if pa.Unlimited || len(pa.Filter) == 0 {
			return "true", nil
		}
		f, err := c.permissionExp(t, alias, pa.Filter)
		if err != nil {
			return "", err
		}
		parts = append(parts, "("+f+")")
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// columnValue is a column as a role reads it: NULL on rows visible only
// through inherited parents that do not grant the column.
func (c *compiler) columnValue(t *metadata.Table, a *tableAccess, alias string, col *metadata.Column) (string, error) {
	ref := alias + "." + quoteIdent(col.Name)
	return c.inheritedGuard(t, a, alias, ref, func(pa *tableAccess) bool { return pa.Columns[col.Name] })
}

// inheritedGuard makes expr NULL on the rows that only parents without the
// field (grants false) let an inherited role see; expr is unchanged for
// other roles. Scalar computed fields are guarded like columns.
func (c *compiler) inheritedGuard(t *metadata.Table, a *tableAccess, alias, expr string, grants func(*tableAccess) bool) (string, error) {
	if a == nil || len(a.Parents) == 0 {
		return expr, nil
	}
	var granting []*tableAccess
	for _, pa := range a.Parents {
		if grants(pa) {
			granting = append(granting, pa)
		}
	}
	if len(granting) == len(a.Parents) {
		return expr, nil
	}
	cond, err := c.inheritedFilter(granting, t, alias)
	if err != nil {
		return "", err
	}
	return "CASE WHEN " + cond + " THEN " + expr + " END", nil
}
