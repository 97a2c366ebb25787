package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

type mutationKind int

const (
	mutInsert mutationKind = iota
	mutInsertOne
	mutUpdate
	mutUpdateByPk
	mutUpdateMany
	mutDelete
	mutDeleteByPk
	mutFunction // a tracked function exposed as a mutation
)

type mutationField struct {
	Kind     mutationKind
	Table    *metadata.Table
	Function *metadata.Function // for mutFunction
}

// addMutations adds a table's insert/update/delete root fields the role may use.
func (b *schemaBuilder) addMutations(t *metadata.Table, fields graphql.Fields) {
	b.addFunctionMutations(t, fields)
	rs := b.rs
	canSelect := rs.access[t] != nil
	if ins := rs.writeAccess(t, "insert"); ins != nil {
		rs.inserts[t] = ins
		args := graphql.FieldConfigArgument{
			"objects": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.insertInput(t))))},
		}
		if oc := b.onConflict(t); oc != nil {
			args["on_conflict"] = &graphql.ArgumentConfig{Type: oc}
		}
		fields[t.RootFields.Insert] = &graphql.Field{Type: b.mutationResponse(t), Args: args,
			Description: "insert data into the table: \"" + t.Name.Name + "\""}
		rs.mroots[t.RootFields.Insert] = mutationField{Kind: mutInsert, Table: t}
		if canSelect {
			oneArgs := graphql.FieldConfigArgument{"object": {Type: graphql.NewNonNull(b.insertInput(t))}}
			if oc := b.onConflict(t); oc != nil {
				oneArgs["on_conflict"] = &graphql.ArgumentConfig{Type: oc}
			}
			fields[t.RootFields.InsertOne] = &graphql.Field{Type: b.object(t), Args: oneArgs,
				Description: "insert a single row into the table: \"" + t.Name.Name + "\""}
			rs.mroots[t.RootFields.InsertOne] = mutationField{Kind: mutInsertOne, Table: t}
		}
	}
	if upd := rs.writeAccess(t, "update"); upd != nil {
		rs.updates[t] = upd
		ops := b.updateOps(t)
		args := graphql.FieldConfigArgument{"where": {Type: graphql.NewNonNull(b.boolExp(t))}}
		for k, v := range ops {
			args[k] = &graphql.ArgumentConfig{Type: v}
		}
		fields[t.RootFields.Update] = &graphql.Field{Type: b.mutationResponse(t), Args: args,
			Description: "update data of the table: \"" + t.Name.Name + "\""}
		rs.mroots[t.RootFields.Update] = mutationField{Kind: mutUpdate, Table: t}
		if pk := b.pkColumnsInput(t); pk != nil && canSelect {
			pkArgs := graphql.FieldConfigArgument{"pk_columns": {Type: graphql.NewNonNull(pk)}}
			for k, v := range ops {
				pkArgs[k] = &graphql.ArgumentConfig{Type: v}
			}
			fields[t.RootFields.UpdateByPk] = &graphql.Field{Type: b.object(t), Args: pkArgs,
				Description: "update single row of the table: \"" + t.Name.Name + "\""}
			rs.mroots[t.RootFields.UpdateByPk] = mutationField{Kind: mutUpdateByPk, Table: t}
		}
		updFields := graphql.InputObjectConfigFieldMap{"where": {Type: graphql.NewNonNull(b.boolExp(t))}}
		for k, v := range ops {
			updFields[k] = &graphql.InputObjectFieldConfig{Type: v}
		}
		updates := graphql.NewInputObject(graphql.InputObjectConfig{Name: t.GQLName + "_updates", Fields: updFields})
		fields[t.RootFields.UpdateMany] = &graphql.Field{Type: graphql.NewList(b.mutationResponse(t)),
			Args:        graphql.FieldConfigArgument{"updates": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(updates)))}},
			Description: "update multiples rows of table: \"" + t.Name.Name + "\""}
		rs.mroots[t.RootFields.UpdateMany] = mutationField{Kind: mutUpdateMany, Table: t}
	}
	if del := rs.writeAccess(t, "delete"); del != nil {
		rs.deletes[t] = del
		fields[t.RootFields.Delete] = &graphql.Field{Type: b.mutationResponse(t),
			Args:        graphql.FieldConfigArgument{"where": {Type: graphql.NewNonNull(b.boolExp(t))}},
			Description: "delete data from the table: \"" + t.Name.Name + "\""}
		rs.mroots[t.RootFields.Delete] = mutationField{Kind: mutDelete, Table: t}
		if f := b.byPkField(t); f != nil {
			fields[t.RootFields.DeleteByPk] = &graphql.Field{Type: f.Type, Args: f.Args,
				Description: "delete single row from the table: \"" + t.Name.Name + "\""}
			rs.mroots[t.RootFields.DeleteByPk] = mutationField{Kind: mutDeleteByPk, Table: t}
		}
	}
}

// mutationResponse is <t>_mutation_response { affected_rows, returning }.
func (b *schemaBuilder) mutationResponse(t *metadata.Table) *graphql.Object {
	name := t.GQLName + "_mutation_response"
	if o, ok := b.objectsByName[name]; ok {
		return o
	}
	fields := graphql.Fields{"affected_rows": {Type: graphql.NewNonNull(graphql.Int), Description: "number of rows affected by the mutation"}}
	if b.rs.access[t] != nil {
		fields["returning"] = &graphql.Field{Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.object(t)))),
			Description: "data from the rows affected by the mutation"}
	}
	o := graphql.NewObject(graphql.ObjectConfig{Name: name, Fields: fields,
		Description: "response of any mutation on the table \"" + t.Name.Name + "\""})
	b.objectsByName[name] = o
	return o
}

// insertInput is <t>_insert_input: insertable columns and nested relationships.
func (b *schemaBuilder) insertInput(t *metadata.Table) *graphql.InputObject {
	name := t.GQLName + "_insert_input"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	ins := b.rs.writeAccess(t, "insert")
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
		Description: "input type for inserting data into table \"" + t.Name.Name + "\"",
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			fields := graphql.InputObjectConfigFieldMap{}
			for _, c := range t.Columns {
				if ins != nil && ins.Columns[c.Name] {
					fields[c.GQLName] = &graphql.InputObjectFieldConfig{Type: b.columnType(c)}
				}
			}
			for _, r := range t.ObjectRels {
				if b.rs.writeAccess(r.Target, "insert") != nil {
					fields[r.Name] = &graphql.InputObjectFieldConfig{Type: b.relInsertInput(r.Target, false)}
				}
			}
			for _, r := range t.ArrayRels {
				if b.rs.writeAccess(r.Target, "insert") != nil {
					fields[r.Name] = &graphql.InputObjectFieldConfig{Type: b.relInsertInput(r.Target, true)}
				}
			}
			if len(fields) == 0 {
				fields["_placeholder"] = &graphql.InputObjectFieldConfig{Type: graphql.String}
			}
			return fields
		})})
	b.inputs[name] = in
	return in
}

func (b *schemaBuilder) relInsertInput(t *metadata.Table, array bool) *graphql.InputObject {
	name, data := t.GQLName+"_obj_rel_insert_input", graphql.Input(graphql.NewNonNull(b.insertInput(t)))
	if array {
		name, data = t.GQLName+"_arr_rel_insert_input", graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.insertInput(t))))
	}
	if in, ok := b.inputs[name]; ok {
		return in
	}
	fields := graphql.InputObjectConfigFieldMap{"data": {Type: data}}
	if oc := b.onConflict(t); oc != nil {
		fields["on_conflict"] = &graphql.InputObjectFieldConfig{Type: oc}
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields})
	b.inputs[name] = in
	return in
}

// onConflict is <t>_on_conflict; nil when the table has no unique constraint.
func (b *schemaBuilder) onConflict(t *metadata.Table) *graphql.InputObject {
	name := t.GQLName + "_on_conflict"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	if len(t.Info.Uniques) == 0 {
		return nil
	}
	cons := graphql.EnumValueConfigMap{}
	for _, u := range t.Info.Uniques {
		cons[u.Name] = &graphql.EnumValueConfig{Value: u.Name, Description: "unique or primary key constraint on columns"}
	}
	consEnum := graphql.NewEnum(graphql.EnumConfig{Name: t.GQLName + "_constraint", Values: cons,
		Description: "unique or primary key constraints on table \"" + t.Name.Name + "\""})
	cols := graphql.EnumValueConfigMap{}
	if upd := b.rs.writeAccess(t, "update"); upd != nil {
		for _, c := range t.Columns {
			if upd.Columns[c.Name] {
				cols[c.GQLName] = &graphql.EnumValueConfig{Value: c.GQLName, Description: "column name"}
			}
		}
	}
	if len(cols) == 0 {
		cols["_PLACEHOLDER"] = &graphql.EnumValueConfig{Value: "_PLACEHOLDER", Description: "placeholder (do not use)"}
	}
	colEnum := graphql.NewEnum(graphql.EnumConfig{Name: t.GQLName + "_update_column", Values: cols,
		Description: "update columns of table \"" + t.Name.Name + "\""})
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
		Description: "on_conflict condition type for table \"" + t.Name.Name + "\"",
		Fields: graphql.InputObjectConfigFieldMap{
			"constraint":     {Type: graphql.NewNonNull(consEnum)},
			"update_columns": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(colEnum))), DefaultValue: []any{}},
			"where":          {Type: b.boolExp(t)},
		}})
	b.inputs[name] = in
	return in
}

// updateOps are update's _set/_inc/jsonb operator arguments.
func (b *schemaBuilder) updateOps(t *metadata.Table) map[string]graphql.Input {
	upd := b.rs.writeAccess(t, "update")
	ops := map[string]graphql.Input{}
	add := func(op, suffix string, pick func(*metadata.Column) bool, typ func(*metadata.Column) graphql.Input) {
		name := t.GQLName + "_" + suffix
		if in, ok := b.inputs[name]; ok {
			ops[op] = in
			return
		}
		fields := graphql.InputObjectConfigFieldMap{}
		for _, c := range t.Columns {
			if upd.Columns[c.Name] && pick(c) {
				fields[c.GQLName] = &graphql.InputObjectFieldConfig{Type: typ(c)}
			}
		}
		if len(fields) == 0 {
			return
		}
		in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields})
		b.inputs[name] = in
		ops[op] = in
	}
	all := func(*metadata.Column) bool { return true }
	numeric := func(c *metadata.Column) bool { return isNumericType(c.Info.TypeName) }
	jsonb := func(c *metadata.Column) bool { return c.Info.TypeName == "jsonb" }
	own := func(c *metadata.Column) graphql.Input { return b.columnType(c) }
	add("_set", "set_input", all, own)
	add("_inc", "inc_input", numeric, own)
	add("_append", "append_input", jsonb, own)
	add("_prepend", "prepend_input", jsonb, own)
	add("_delete_key", "delete_key_input", jsonb, func(*metadata.Column) graphql.Input { return graphql.String })
	add("_delete_elem", "delete_elem_input", jsonb, func(*metadata.Column) graphql.Input { return graphql.Int })
	add("_delete_at_path", "delete_at_path_input", jsonb, func(*metadata.Column) graphql.Input {
		return graphql.NewList(graphql.NewNonNull(graphql.String))
	})
	return ops
}

func (b *schemaBuilder) pkColumnsInput(t *metadata.Table) *graphql.InputObject {
	if len(t.PrimaryKey) == 0 {
		return nil
	}
	name := t.GQLName + "_pk_columns_input"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	fields := graphql.InputObjectConfigFieldMap{}
	for _, c := range t.PrimaryKey {
		fields[c.GQLName] = &graphql.InputObjectFieldConfig{Type: graphql.NewNonNull(b.columnType(c))}
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields,
		Description: "primary key columns input for table: " + t.Name.Name})
	b.inputs[name] = in
	return in
}
