package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// object is a table's row type: readable columns, relationships to readable
// tables, computed fields.
func (b *schemaBuilder) object(t *metadata.Table) *graphql.Object {
	if o, ok := b.objects[t]; ok {
		return o
	}
	a := b.accessOf(t)
	o := graphql.NewObject(graphql.ObjectConfig{Name: t.GQLName, Description: tableDescription(t),
		Interfaces: b.nodeInterfaces(t),
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			fields := graphql.Fields{}
			for _, c := range t.Columns {
				if !a.Columns[c.Name] {
					continue
				}
				fields[c.GQLName] = &graphql.Field{Type: nonNullIf(b.columnType(c), !c.Info.Nullable), Description: deref(c.Comment),
					Args: jsonPathArgs(c.Info.TypeName)}
			}
			for _, r := range t.ObjectRels {
				if b.rs.access[r.Target] == nil {
					continue
				}
				fields[r.Name] = &graphql.Field{Type: nonNullIf(b.object(r.Target), !r.Nullable), Description: commentOr(r.Comment, "An object relationship")}
			}
			for _, r := range t.ArrayRels {
				ta := b.rs.access[r.Target]
				if ta == nil {
					continue
				}
				f := b.listField(r.Target, commentOr(r.Comment, "An array relationship"))
				fields[r.Name] = f
				if ta.AllowAgg {
					fields[r.Name+"_aggregate"] = b.aggregateField(r.Target, commentOr(r.Comment, "An aggregate relationship"))
				}
			}
			for _, cf := range t.ComputedFields {
				if !a.Computed[cf.Name] {
					continue
				}
				if f := b.computedField(t, cf); f != nil {
					fields[cf.Name] = f
				}
			}
			b.remoteRelFields(t, fields)
			if b.node != nil {
				b.relayFields(t, fields)
			}
			return fields
		})})
	b.objects[t] = o
	b.rs.byType[t.TypeName("")] = t
	return o
}

func (b *schemaBuilder) computedField(t *metadata.Table, cf *metadata.ComputedField) *graphql.Field {
	var f *graphql.Field
	if cf.ReturnsTable != nil {
		if b.rs.access[cf.ReturnsTable] == nil {
			return nil
		}
		if cf.Function.ReturnsSet {
			f = b.listField(cf.ReturnsTable, computedFieldDescription(cf))
		} else {
			f = &graphql.Field{Type: b.object(cf.ReturnsTable), Description: computedFieldDescription(cf)}
		}
	} else {
		f = &graphql.Field{Type: b.scalar(cf.ReturnType.Name), Description: computedFieldDescription(cf)}
	}
	name := metadata.DefaultGQLName(cf.Function.Name) + "_args"
	for _, f := range b.rs.Snapshot.Source(t.Source).Functions {
		if f.Info == cf.Function {
			// The function is also a root field, whose args include the row.
			name = t.GQLName + "_" + cf.Name + "_args"
		}
	}
	if in := b.functionArgs(name, cf.Function, cf.SessionArgIndex, cf.TableArgIndex); in != nil {
		if f.Args == nil {
			f.Args = graphql.FieldConfigArgument{}
		}
		var typ graphql.Input = in.typ
		if in.required {
			typ = graphql.NewNonNull(in.typ)
		}
		f.Args["args"] = &graphql.ArgumentConfig{Type: typ, Description: "input parameters for computed field \"" + cf.Name + "\" defined on table \"" + t.Name.Name + "\""}
	}
	return f
}

// aggregate builds <t>_aggregate { aggregate: <t>_aggregate_fields, nodes }.
func (b *schemaBuilder) aggregate(t *metadata.Table) *graphql.Object {
	if o, ok := b.aggregates[t]; ok {
		return o
	}
	a := b.accessOf(t)
	fields := graphql.Fields{
		"count": {Type: graphql.NewNonNull(graphql.Int), Args: graphql.FieldConfigArgument{
			"columns":  {Type: graphql.NewList(graphql.NewNonNull(b.selectColumnEnum(t)))},
			"distinct": {Type: graphql.Boolean},
		}},
	}
	var numeric, comparable []*metadata.Column
	for _, c := range t.Columns {
		if !a.Columns[c.Name] {
			continue
		}
		if isNumericType(c.Info.TypeName) {
			numeric = append(numeric, c)
		}
		if isComparableType(c.Info.TypeName) {
			comparable = append(comparable, c)
		}
	}
	aggObj := func(op string, cols []*metadata.Column, float bool) {
		if len(cols) == 0 {
			return
		}
		fs := graphql.Fields{}
		for _, c := range cols {
			var typ graphql.Output = b.columnType(c)
			if float {
				typ = graphql.Float
			}
			fs[c.GQLName] = &graphql.Field{Type: typ}
		}
		fields[op] = &graphql.Field{Type: graphql.NewObject(graphql.ObjectConfig{
			Name: t.GQLName + "_" + op + "_fields", Fields: fs,
			Description: "aggregate " + op + " on columns"})}
	}
	aggObj("sum", numeric, false)
	for _, op := range []string{"avg", "stddev", "stddev_pop", "stddev_samp", "var_pop", "var_samp", "variance"} {
		aggObj(op, numeric, true)
	}
	aggObj("max", comparable, false)
	aggObj("min", comparable, false)
	fieldsObj := graphql.NewObject(graphql.ObjectConfig{Name: t.GQLName + "_aggregate_fields", Fields: fields,
		Description: "aggregate fields of \"" + t.Name.Name + "\""})
	o := graphql.NewObject(graphql.ObjectConfig{Name: t.GQLName + "_aggregate", Description: "aggregated selection of \"" + t.Name.Name + "\"",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"aggregate": {Type: fieldsObj},
				"nodes":     {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(b.object(t))))},
			}
		})})
	b.aggregates[t] = o
	return o
}

func (b *schemaBuilder) selectColumnEnum(t *metadata.Table) *graphql.Enum {
	name := t.GQLName + "_select_column"
	if e, ok := b.enums[name]; ok {
		return e
	}
	a := b.accessOf(t)
	vals := graphql.EnumValueConfigMap{}
	for _, c := range t.Columns {
		if a.Columns[c.Name] {
			vals[c.GQLName] = &graphql.EnumValueConfig{Value: c.GQLName, Description: "column name"}
		}
	}
	if len(vals) == 0 {
		vals["_PLACEHOLDER"] = &graphql.EnumValueConfig{Value: "_PLACEHOLDER"}
	}
	e := graphql.NewEnum(graphql.EnumConfig{Name: name, Values: vals,
		Description: "select columns of table \"" + t.Name.Name + "\""})
	b.enums[name] = e
	return e
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func commentOr(s *string, def string) string {
	if s != nil {
		return *s
	}
	return def
}
