package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// streamField is <t>_stream(batch_size, cursor, where): Hasura's streaming
// subscription, which pushes new rows in cursor order, each row once.
func (b *schemaBuilder) streamField(t *metadata.Table) *graphql.Field {
	a := b.accessOf(t)
	values := graphql.InputObjectConfigFieldMap{}
	for _, c := range t.Columns {
		if a.Columns[c.Name] {
			values[c.GQLName] = &graphql.InputObjectFieldConfig{Type: b.columnType(c)}
		}
	}
	if len(values) == 0 {
		return nil
	}
	if b.cursorOrdering == nil {
		b.cursorOrdering = graphql.NewEnum(graphql.EnumConfig{Name: "cursor_ordering", Description: "ordering argument of a cursor",
			Values: graphql.EnumValueConfigMap{
				"ASC":  {Value: "ASC", Description: "ascending ordering of the cursor"},
				"DESC": {Value: "DESC", Description: "descending ordering of the cursor"},
			}})
	}
	valueInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: t.GQLName + "_stream_cursor_value_input",
		Fields: values, Description: "Initial value of the column from where the streaming should start"})
	cursorInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: t.GQLName + "_stream_cursor_input",
		Description: "Streaming cursor of the table \"" + t.Name.Name + "\"",
		Fields: graphql.InputObjectConfigFieldMap{
			"initial_value": {Type: graphql.NewNonNull(valueInput), Description: "Stream column input with initial value"},
			"ordering":      {Type: b.cursorOrdering, Description: "cursor ordering"},
		}})
	return &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.object(t)))),
		Description: "fetch data from the table in a streaming manner: \"" + t.Name.Name + "\"",
		Args: graphql.FieldConfigArgument{
			"batch_size": {Type: graphql.NewNonNull(graphql.Int), Description: "maximum number of rows returned in a single batch"},
			"cursor":     {Type: graphql.NewNonNull(graphql.NewList(cursorInput)), Description: "cursor to stream the results returned by the query"},
			"where":      {Type: b.boolExp(t), Description: "filter the rows returned"},
		},
	}
}
