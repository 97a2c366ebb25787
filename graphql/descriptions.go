package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// Descriptions follow Hasura's precedence: a comment set in metadata wins
// (an empty one hides the description), then the Postgres comment, then
// Hasura's generated text. An empty description is reported as null by
// introspection (nullEmptyDescription), so "" means "no description".

// tableDescription is the description of a table's row type.
func tableDescription(t *metadata.Table) string {
	if t.Meta != nil && t.Meta.Configuration != nil && t.Meta.Configuration.Comment != nil {
		return *t.Meta.Configuration.Comment
	}
	return commentOr(t.Info.Comment, "columns and relationships of \""+t.Name.Name+"\"")
}

// computedFieldDescription is a computed field's description: the metadata
// comment, else the function's Postgres comment, else generated text for
// scalar fields (Hasura generates none for table-returning ones).
func computedFieldDescription(cf *metadata.ComputedField) string {
	if cf.Comment != nil {
		return *cf.Comment
	}
	if cf.Function.Comment != nil {
		return *cf.Function.Comment
	}
	if cf.ReturnsTable != nil {
		return ""
	}
	return "A computed field, executes function \"" + cf.Function.Name.String() + "\""
}

// nullEmptyDescription turns an introspected "description": "" into null:
// graphql-go cannot tell an absent description from an empty one, and
// Hasura reports both as null.
func nullEmptyDescription(m map[string]any) {
	if d, ok := m["description"].(string); ok && d == "" {
		m["description"] = nil
	}
}

// applyRootFieldComments sets the descriptions of a table's root fields
// given as custom_root_fields {<field>: {name, comment}} in metadata.
func applyRootFieldComments(tables []*metadata.Table, fields graphql.Fields) {
	for _, t := range tables {
		if t.Meta == nil || t.Meta.Configuration == nil {
			continue
		}
		rf := t.RootFields
		names := map[string]string{
			"select": rf.Select, "select_by_pk": rf.SelectByPk, "select_aggregate": rf.SelectAggregate,
			"select_stream": rf.SelectStream, "insert": rf.Insert, "insert_one": rf.InsertOne,
			"update": rf.Update, "update_by_pk": rf.UpdateByPk, "update_many": rf.UpdateMany,
			"delete": rf.Delete, "delete_by_pk": rf.DeleteByPk,
		}
		for key, v := range t.Meta.Configuration.CustomRootFields {
			custom, _ := v.(map[string]any)
			comment, ok := custom["comment"].(string)
			if f := fields[names[key]]; ok && f != nil {
				f.Description = comment
			}
		}
	}
}

// functionDescription is a tracked function's root field description: the
// metadata comment, else the function's Postgres comment, else generated.
func functionDescription(f *metadata.Function) string {
	if f.Meta != nil && f.Meta.Comment != nil {
		return *f.Meta.Comment
	}
	return commentOr(f.Info.Comment, "execute function \""+f.GQLName+"\" which returns \""+f.ReturnsTable.GQLName+"\"")
}
