package graphql

import (
	"encoding/json"

	"github.com/graftql/graft/metadata"
)

// tableAccess is what one role may read of one table. The schema builder
// shows only this, and the SQL generator adds Filter to every read.
type tableAccess struct {
	Columns  map[string]bool // Postgres column names
	Computed map[string]bool
	AllowAgg bool
	Filter   map[string]any // the permission's bool_exp; nil for admin
	Limit    *int
	RootSel  bool // query root fields allowed
	RootByPk bool
	RootAgg  bool
	// SubRoots lists the root fields allowed as subscriptions (select,
	// select_by_pk, select_aggregate); nil: the same as for queries.
	SubRoots  map[string]bool
	Unlimited bool // admin: no filter, every column
	// Parents are the accesses an inherited role combines (see roleAccess).
	Parents []*tableAccess
}

// selectPermission is Hasura's select permission body.
type selectPermission struct {
	Columns           json.RawMessage `json:"columns"`
	ComputedFields    []string        `json:"computed_fields"`
	Filter            map[string]any  `json:"filter"`
	Limit             *int            `json:"limit"`
	AllowAggregations bool            `json:"allow_aggregations"`
	QueryRootFields   []string        `json:"query_root_fields"`
	SubRootFields     []string        `json:"subscription_root_fields"`
}

// accessFor decides a role's access to a table; nil means no access.
func accessFor(t *metadata.Table, role string) *tableAccess {
	if role == "admin" {
		a := &tableAccess{Columns: map[string]bool{}, Computed: map[string]bool{}, AllowAgg: true,
			RootSel: true, RootByPk: true, RootAgg: true, Unlimited: true}
		for _, c := range t.Columns {
			a.Columns[c.Name] = true
		}
		for _, cf := range t.ComputedFields {
			a.Computed[cf.Name] = true
		}
		return a
	}
	for _, p := range t.Meta.SelectPermissions {
		if p.Role != role {
			continue
		}
		var sp selectPermission
		if err := json.Unmarshal(p.Permission, &sp); err != nil {
			return nil
		}
		a := &tableAccess{Columns: map[string]bool{}, Computed: map[string]bool{}, AllowAgg: sp.AllowAggregations,
			Filter: sp.Filter, Limit: sp.Limit, RootSel: true, RootByPk: true, RootAgg: true}
		if a.Filter == nil {
			a.Filter = map[string]any{}
		}
		var star string
		if json.Unmarshal(sp.Columns, &star) == nil && star == "*" {
			for _, c := range t.Columns {
				a.Columns[c.Name] = true
			}
		} else {
			var cols []string
			_ = json.Unmarshal(sp.Columns, &cols)
			for _, c := range cols {
				a.Columns[c] = true
			}
		}
		for _, c := range sp.ComputedFields {
			a.Computed[c] = true
		}
		// A computed field returning rows of a table is not listed in the
		// permission (metadata refuses that): Hasura derives it from the
		// role's select permission on that table, which the schema checks.
		for _, cf := range t.ComputedFields {
			if cf.ReturnsTable != nil {
				a.Computed[cf.Name] = true
			}
		}
		if sp.SubRootFields != nil {
			a.SubRoots = map[string]bool{}
			for _, f := range sp.SubRootFields {
				a.SubRoots[f] = true
			}
		}
		if sp.QueryRootFields != nil {
			a.RootSel, a.RootByPk, a.RootAgg = false, false, false
			for _, f := range sp.QueryRootFields {
				switch f {
				case "select":
					a.RootSel = true
				case "select_by_pk":
					a.RootByPk = true
				case "select_aggregate":
					a.RootAgg = true
				}
			}
		}
		return a
	}
	return nil
}
