package graphql

import (
	"github.com/graftql/graft/metadata"
	"github.com/graphql-go/graphql"
)

// boolExp builds <t>_bool_exp: columns, relationships, computed scalars, _and/_or/_not/_exists.
func (b *schemaBuilder) boolExp(t *metadata.Table) *graphql.InputObject {
	name := t.GQLName + "_bool_exp"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	a := b.accessOf(t)
	var in *graphql.InputObject
	in = graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
		Description: "Boolean expression to filter rows from the table \"" + t.Name.Name + "\". All fields are combined with a logical 'AND'.",
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			fields := graphql.InputObjectConfigFieldMap{
				"_and": {Type: graphql.NewList(graphql.NewNonNull(in))},
				"_or":  {Type: graphql.NewList(graphql.NewNonNull(in))},
				"_not": {Type: in},
			}
			for _, c := range t.Columns {
				if a.Columns[c.Name] {
					fields[c.GQLName] = &graphql.InputObjectFieldConfig{Type: b.comparison(c)}
				}
			}
			for _, r := range append(append([]*metadata.Relationship{}, t.ObjectRels...), t.ArrayRels...) {
				if b.rs.access[r.Target] != nil {
					fields[r.Name] = &graphql.InputObjectFieldConfig{Type: b.boolExp(r.Target)}
				}
			}
			for _, cf := range t.ComputedFields {
				if !a.Computed[cf.Name] || hasUserArgs(cf.Function, cf.SessionArgIndex, cf.TableArgIndex) {
					continue
				}
				if cf.ReturnsTable != nil {
					// Hasura: <cf>: <target>_bool_exp, when the role may read the target.
					if b.rs.access[cf.ReturnsTable] != nil {
						fields[cf.Name] = &graphql.InputObjectFieldConfig{Type: b.boolExp(cf.ReturnsTable)}
					}
					continue
				}
				fields[cf.Name] = &graphql.InputObjectFieldConfig{Type: b.scalarComparison(cf.ReturnType.Name)}
			}
			return fields
		})})
	b.inputs[name] = in
	return in
}

func (b *schemaBuilder) comparison(c *metadata.Column) *graphql.InputObject {
	if c.EnumRef != nil {
		e := b.tableEnum(c.EnumRef)
		name := c.EnumRef.GQLName + "_enum_comparison_exp"
		if in, ok := b.inputs[name]; ok {
			return in
		}
		in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
			Description: "Boolean expression to compare columns of type \"" + e.Name() + "\". All fields are combined with logical 'AND'.",
			Fields: graphql.InputObjectConfigFieldMap{
				"_eq": {Type: e}, "_neq": {Type: e}, "_is_null": {Type: graphql.Boolean},
				"_in": {Type: graphql.NewList(graphql.NewNonNull(e))}, "_nin": {Type: graphql.NewList(graphql.NewNonNull(e))},
			}})
		b.inputs[name] = in
		return in
	}
	return b.scalarComparison(c.Info.TypeName)
}

// scalarComparison builds <Scalar>_comparison_exp with the operators the type supports.
func (b *schemaBuilder) scalarComparison(typname string) *graphql.InputObject {
	st := b.scalar(typname)
	name := st.Name() + "_comparison_exp"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	list := graphql.NewList(graphql.NewNonNull(st))
	fields := graphql.InputObjectConfigFieldMap{
		"_eq": {Type: st}, "_neq": {Type: st}, "_gt": {Type: st}, "_gte": {Type: st}, "_lt": {Type: st}, "_lte": {Type: st},
		"_in": {Type: list}, "_nin": {Type: list}, "_is_null": {Type: graphql.Boolean},
	}
	switch {
	case isStringLike(typname):
		for _, op := range []string{"_like", "_nlike", "_ilike", "_nilike", "_similar", "_nsimilar", "_regex", "_nregex", "_iregex", "_niregex"} {
			fields[op] = &graphql.InputObjectFieldConfig{Type: st}
		}
	case typname == "jsonb":
		strList := graphql.NewList(graphql.NewNonNull(graphql.String))
		fields["_contains"] = &graphql.InputObjectFieldConfig{Type: st}
		fields["_contained_in"] = &graphql.InputObjectFieldConfig{Type: st}
		fields["_has_key"] = &graphql.InputObjectFieldConfig{Type: graphql.String}
		fields["_has_keys_any"] = &graphql.InputObjectFieldConfig{Type: strList}
		fields["_has_keys_all"] = &graphql.InputObjectFieldConfig{Type: strList}
	case typname == "geometry" || typname == "geography":
		ops := []string{"_st_intersects", "_st_d_within"}
		if typname == "geometry" {
			ops = append(ops, "_st_contains", "_st_crosses", "_st_equals", "_st_overlaps", "_st_touches", "_st_within", "_st_3d_intersects", "_st_3d_d_within")
		}
		for _, op := range ops {
			fields[op] = &graphql.InputObjectFieldConfig{Type: st}
		}
		fields["_st_d_within"] = &graphql.InputObjectFieldConfig{Type: b.dWithin(typname, st)}
		if typname == "geometry" {
			fields["_st_3d_d_within"] = &graphql.InputObjectFieldConfig{Type: b.dWithin(typname, st)}
		}
	}
	if st.Name() != "String" {
		fields["_cast"] = &graphql.InputObjectFieldConfig{Type: b.castExp(typname, st)}
	}
	b.extensionComparisons(typname, st, fields)
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields,
		Description: "Boolean expression to compare columns of type \"" + st.Name() + "\". All fields are combined with logical 'AND'."})
	b.inputs[name] = in
	return in
}

// castExp builds <Scalar>_cast_exp: comparisons after casting to String,
// and between geometry and geography.
func (b *schemaBuilder) castExp(typname string, st graphql.Type) *graphql.InputObject {
	name := st.Name() + "_cast_exp"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			fields := graphql.InputObjectConfigFieldMap{"String": {Type: b.scalarComparison("text")}}
			switch typname {
			case "geometry":
				fields["geography"] = &graphql.InputObjectFieldConfig{Type: b.scalarComparison("geography")}
			case "geography":
				fields["geometry"] = &graphql.InputObjectFieldConfig{Type: b.scalarComparison("geometry")}
			}
			return fields
		})})
	b.inputs[name] = in
	return in
}

func (b *schemaBuilder) dWithin(typname string, st graphql.Type) *graphql.InputObject {
	name := "st_d_within_input"
	fields := graphql.InputObjectConfigFieldMap{
		"distance": {Type: graphql.NewNonNull(graphql.Float)},
		"from":     {Type: graphql.NewNonNull(st)},
	}
	if typname == "geography" {
		name = "st_d_within_geography_input"
		fields["use_spheroid"] = &graphql.InputObjectFieldConfig{Type: graphql.Boolean, DefaultValue: true}
	}
	if in, ok := b.inputs[name]; ok {
		return in
	}
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields})
	b.inputs[name] = in
	return in
}

// orderBy builds <t>_order_by: columns, object relationships, array aggregates.
func (b *schemaBuilder) orderBy(t *metadata.Table) *graphql.InputObject {
	name := t.GQLName + "_order_by"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	a := b.accessOf(t)
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name,
		Description: "Ordering options when selecting data from \"" + t.Name.Name + "\".",
		Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
			fields := graphql.InputObjectConfigFieldMap{}
			for _, c := range t.Columns {
				if a.Columns[c.Name] {
					fields[c.GQLName] = &graphql.InputObjectFieldConfig{Type: b.orderByEnum}
				}
			}
			for _, r := range t.ObjectRels {
				if b.rs.access[r.Target] != nil {
					fields[r.Name] = &graphql.InputObjectFieldConfig{Type: b.orderBy(r.Target)}
				}
			}
			for _, r := range t.ArrayRels {
				if ta := b.rs.access[r.Target]; ta != nil && ta.AllowAgg {
					fields[r.Name+"_aggregate"] = &graphql.InputObjectFieldConfig{Type: b.aggregateOrderBy(r.Target)}
				}
			}
			for _, cf := range t.ComputedFields {
				if a.Computed[cf.Name] && cf.ReturnsTable == nil && !hasUserArgs(cf.Function, cf.SessionArgIndex, cf.TableArgIndex) {
					fields[cf.Name] = &graphql.InputObjectFieldConfig{Type: b.orderByEnum}
				}
			}
			return fields
		})})
	b.inputs[name] = in
	return in
}

func (b *schemaBuilder) aggregateOrderBy(t *metadata.Table) *graphql.InputObject {
	name := t.GQLName + "_aggregate_order_by"
	if in, ok := b.inputs[name]; ok {
		return in
	}
	a := b.accessOf(t)
	fields := graphql.InputObjectConfigFieldMap{"count": {Type: b.orderByEnum}}
	opFields := func(op string, pick func(string) bool) {
		fs := graphql.InputObjectConfigFieldMap{}
		for _, c := range t.Columns {
			if a.Columns[c.Name] && pick(c.Info.TypeName) {
				fs[c.GQLName] = &graphql.InputObjectFieldConfig{Type: b.orderByEnum}
			}
		}
		if len(fs) > 0 {
			fields[op] = &graphql.InputObjectFieldConfig{Type: graphql.NewInputObject(graphql.InputObjectConfig{
				Name: t.GQLName + "_" + op + "_order_by", Fields: fs})}
		}
	}
	for _, op := range []string{"avg", "sum", "stddev", "stddev_pop", "stddev_samp", "var_pop", "var_samp", "variance"} {
		opFields(op, isNumericType)
	}
	opFields("max", isComparableType)
	opFields("min", isComparableType)
	in := graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Fields: fields,
		Description: "order by aggregate values of table \"" + t.Name.Name + "\""})
	b.inputs[name] = in
	return in
}
