package dataapi

import (
	"fmt"
	"strings"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/metadata"
)

// selectQuery parses select's args.
func (p *parser) selectQuery(args map[string]any) (*graphql.DataSelect, error) {
	t, err := p.table(args)
	if err != nil {
		return nil, err
	}
	return p.selection(t, args, "$.args")
}

// selection parses a select, or a relationship's part of one, on t.
func (p *parser) selection(t *metadata.Table, args map[string]any, path string) (*graphql.DataSelect, error) {
	allowed, err := p.selectable(t, path, "")
	if err != nil {
		return nil, err
	}
	q := &graphql.DataSelect{Table: t}
	if q.Where, err = where(args, false); err != nil {
		return nil, err
	}
	if q.Limit, err = count(args, "limit", path); err != nil {
		return nil, err
	}
	if q.Offset, err = count(args, "offset", path); err != nil {
		return nil, err
	}
	if q.OrderBy, err = orderBy(args["order_by"], path+".order_by"); err != nil {
		return nil, err
	}
	for _, o := range q.OrderBy {
		if err := p.orderPath(t, allowed, o.Path, path+".order_by"); err != nil {
			return nil, err
		}
	}
	cols, ok := args["columns"].([]any)
	if !ok {
		return nil, apiErr("parse-failed", path, "key \"columns\" not found or not a list")
	}
	for i, c := range cols {
		cpath := fmt.Sprintf("%s.columns[%d]", path, i)
		switch c := c.(type) {
		case string:
			if c == "*" {
				for _, col := range t.Columns {
					if allowed[col.Name] {
						q.Fields = append(q.Fields, graphql.DataField{Name: col.Name, Column: col})
					}
				}
				continue
			}
			col, err := p.column(t, allowed, c, cpath)
			if err != nil {
				return nil, err
			}
			q.Fields = append(q.Fields, graphql.DataField{Name: col.Name, Column: col})
		case map[string]any:
			name, _ := c["name"].(string)
			r := t.Relationship(name)
			if r == nil {
				return nil, apiErr("not-exists", cpath, "no such relationship exists : %q", name)
			}
			sub, err := p.selection(r.Target, c, cpath)
			if err != nil {
				return nil, err
			}
			if r.Kind == metadata.ObjectRel && (sub.Where != nil || sub.Limit != nil || sub.Offset != nil || sub.OrderBy != nil) {
				return nil, apiErr("unexpected", cpath, "where, order_by, limit and offset apply to array relationships only")
			}
			key := name
			if alias, _ := c["alias"].(string); alias != "" {
				key = alias
			}
			q.Fields = append(q.Fields, graphql.DataField{Name: key, Rel: r, Sub: sub})
		default:
			return nil, apiErr("parse-failed", cpath, "expected a column name or a relationship object")
		}
	}
	return q, nil
}

// orderPath checks an order_by path: object relationships the role may
// read, then a column it may select.
func (p *parser) orderPath(t *metadata.Table, allowed map[string]bool, names []string, path string) error {
	for i, name := range names {
		if i == len(names)-1 {
			_, err := p.column(t, allowed, name, path)
			return err
		}
		r := t.Relationship(name)
		if r == nil || r.Kind != metadata.ObjectRel {
			return apiErr("not-exists", path, "no such object relationship exists : %q", name)
		}
		var err error
		if allowed, err = p.selectable(r.Target, path, ""); err != nil {
			return err
		}
		t = r.Target
	}
	return nil
}

// writable checks the role's kind permission on t.
func (p *parser) writable(t *metadata.Table, kind string) (map[string]bool, map[string]bool, error) {
	cols, presets, ok := p.scope.WriteColumns(t, kind)
	if !ok {
		return nil, nil, apiErr("permission-denied", "$.args", "%s on %q for role %q is not allowed. ", kind, t.Name.String(), p.role)
	}
	return cols, presets, nil
}

// insertQuery parses insert's args.
func (p *parser) insertQuery(args map[string]any) (*graphql.DataInsert, error) {
	t, err := p.table(args)
	if err != nil {
		return nil, err
	}
	allowed, _, err := p.writable(t, "insert")
	if err != nil {
		return nil, err
	}
	q := &graphql.DataInsert{Table: t}
	if q.Returning, err = p.returning(t, args); err != nil {
		return nil, err
	}
	for i, o := range asList(args["objects"]) {
		obj, ok := o.(map[string]any)
		path := fmt.Sprintf("$.args.objects[%d]", i)
		if !ok {
			return nil, apiErr("parse-failed", path, "expected an object")
		}
		for name := range obj {
			if t.Column(name) == nil {
				return nil, apiErr("not-exists", path, "no such column exists : %q", name)
			}
			if !allowed[name] {
				return nil, apiErr("permission-denied", path, "role %q does not have permission to insert column %q", p.role, name)
			}
		}
		q.Objects = append(q.Objects, obj)
	}
	if oc, ok := args["on_conflict"].(map[string]any); ok {
		if q.Conflict, err = p.conflict(t, oc); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// conflict parses on_conflict {action, constraint | constraint_on}.
func (p *parser) conflict(t *metadata.Table, oc map[string]any) (*graphql.DataConflict, error) {
	const path = "$.args.on_conflict"
	c := &graphql.DataConflict{}
	switch action, _ := oc["action"].(string); action {
	case "", "ignore":
	case "update":
		c.Update = true
	default:
		return nil, apiErr("parse-failed", path+".action", "action must be ignore or update, not %q", action)
	}
	c.Constraint, _ = oc["constraint"].(string)
	on, hasOn := oc["constraint_on"]
	if c.Constraint != "" && hasOn {
		return nil, apiErr("unexpected-payload", path, "'constraint' and 'constraint_on' cannot be set at a time")
	}
	if c.Update && c.Constraint == "" && !hasOn {
		return nil, apiErr("unexpected-payload", path, "Expecting 'constraint' or 'constraint_on' when the 'action' is 'update'")
	}
	if c.Constraint != "" {
		found := false
		for _, u := range t.Info.Uniques {
			found = found || u.Name == c.Constraint
		}
		if !found {
			return nil, apiErr("unexpected", path+".constraint", "constraint %q for table %q does not exist", c.Constraint, t.Name.String())
		}
	}
	if hasOn {
		var err error
		if c.Columns, err = columnList(t, on, path+".constraint_on"); err != nil {
			return nil, err
		}
	}
	if c.Update {
		if _, _, err := p.writable(t, "update"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// updateQuery parses update's args.
func (p *parser) updateQuery(args map[string]any) (*graphql.DataUpdate, error) {
	t, err := p.table(args)
	if err != nil {
		return nil, err
	}
	allowed, presets, err := p.writable(t, "update")
	if err != nil {
		return nil, err
	}
	q := &graphql.DataUpdate{Table: t}
	if q.Where, err = where(args, true); err != nil {
		return nil, err
	}
	if q.Returning, err = p.returning(t, args); err != nil {
		return nil, err
	}
	checkCol := func(op, name string) error {
		path := "$.args['" + op + "']"
		if t.Column(name) == nil {
			return apiErr("not-exists", path, "no such column exists : %q", name)
		}
		if !allowed[name] {
			return apiErr("permission-denied", path, "role %q does not have permission to update column %q", p.role, name)
		}
		return nil
	}
	ops := map[string]*map[string]any{"$set": &q.Set, "$inc": &q.Inc, "$mul": &q.Mul}
	for _, op := range []string{"$set", "$inc", "$mul"} {
		v, ok := args[op]
		if !ok || v == nil {
			continue
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, apiErr("parse-failed", "$.args['"+op+"']", "expected an object of columns")
		}
		for name := range m {
			if err := checkCol(op, name); err != nil {
				return nil, err
			}
		}
		*ops[op] = m
	}
	if v, ok := args["$default"]; ok {
		for _, x := range asList(v) {
			name, _ := x.(string)
			if err := checkCol("$default", name); err != nil {
				return nil, err
			}
		}
		if q.Default, err = columnList(t, v, "$.args['$default']"); err != nil {
			return nil, err
		}
	}
	if len(q.Set)+len(q.Inc)+len(q.Mul)+len(q.Default)+len(presets) == 0 {
		return nil, apiErr("unexpected-payload", "$.args", "atleast one of %s has to be present", strings.Join([]string{"$set", "$inc", "$mul", "$default"}, ", "))
	}
	return q, nil
}

// deleteQuery parses delete's args.
func (p *parser) deleteQuery(args map[string]any) (*graphql.DataDelete, error) {
	t, err := p.table(args)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.writable(t, "delete"); err != nil {
		return nil, err
	}
	q := &graphql.DataDelete{Table: t}
	if q.Where, err = where(args, true); err != nil {
		return nil, err
	}
	if q.Returning, err = p.returning(t, args); err != nil {
		return nil, err
	}
	return q, nil
}
