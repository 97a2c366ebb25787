package graphql

import (
	"strings"

	"github.com/graftql/graft/metadata"
)

// tableComputedExists compiles a table-returning computed field used in a
// bool_exp (Hasura: `<cf>: <target>_bool_exp`): true when some row the
// function returns for this row matches, counting only the rows the role's
// select permission on the target table lets through, as a relationship
// does. call is the function call on the outer row.
func (c *compiler) tableComputedExists(cf *metadata.ComputedField, call, name string, v any) (string, error) {
	x := c.alias()
	c.touch(cf.ReturnsTable)
	sub, err := c.boolExp(cf.ReturnsTable, x, asObject(v))
	if err != nil {
		return "", atExpr(err, "."+name)
	}
	conds := []string{sub}
	pf, err := c.permFilter(cf.ReturnsTable, x)
	if err != nil {
		return "", err
	}
	if pf != "" {
		conds = append(conds, pf)
	}
	return "EXISTS (SELECT 1 FROM " + call + " AS " + x + " WHERE " + strings.Join(conds, " AND ") + ")", nil
}

// boolColumn finds the column a bool_exp field names: by its GraphQL name
// in a request's where, by its Postgres name in a permission filter or
// check, which Hasura's metadata always spells with Postgres names (even
// for a column renamed by custom_column_names / column_config).
func (c *compiler) boolColumn(t *metadata.Table, name string) *metadata.Column {
	if c.inPermission {
		return t.Column(name)
	}
	return t.ColumnByGQL(name)
}
