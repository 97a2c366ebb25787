package metadata

import (
	"fmt"
)

func (s *Snapshot) resolveComputedFields(t *Table) {
	for i := range t.Meta.ComputedFields {
		cm := &t.Meta.ComputedFields[i]
		cf, err := s.resolveComputedField(t, cm)
		if err == nil {
			err = fieldConflict(t, cm.Name)
		}
		if err != nil {
			s.addInconsistent("computed_field", cm.Name+" in table "+t.Name.String(), err.Error(),
				map[string]any{"table": t.Name, "name": cm.Name, "definition": cm.Definition, "comment": cm.Comment}, t.Name, cm.Name)
			continue
		}
		t.ComputedFields = append(t.ComputedFields, cf)
	}
}

func (s *Snapshot) resolveComputedField(t *Table, cm *ComputedFieldMeta) (*ComputedField, error) {
	fn, err := s.singleFunction(cm.Definition.Function)
	if err != nil {
		return nil, err
	}
	cf := &ComputedField{Name: cm.Name, Function: fn, TableArgIndex: -1, SessionArgIndex: -1, Comment: cm.Comment}
	if fn.Volatility == "v" {
		return nil, fmt.Errorf("the function %q is of type VOLATILE; cannot be added as a computed field", fn.Name.String())
	}
	if len(fn.ArgTypes) == 0 {
		return nil, fmt.Errorf("the computed field %q cannot be added to table %q because the function %q has no input arguments",
			cm.Name, t.Name.String(), fn.Name.String())
	}
	if a := cm.Definition.TableArgument; a != nil {
		cf.TableArgIndex = argIndex(fn, *a)
		if cf.TableArgIndex < 0 {
			return nil, fmt.Errorf("table argument %q not found in function %q", *a, fn.Name.String())
		}
	} else if len(fn.ArgTypes) > 0 {
		cf.TableArgIndex = 0
	}
	if cf.TableArgIndex < 0 || fn.ArgTypes[cf.TableArgIndex] != t.Name {
		return nil, fmt.Errorf("function %q does not take the table row type %q as an argument", fn.Name.String(), t.Name.String())
	}
	if a := cm.Definition.SessionArgument; a != nil {
		cf.SessionArgIndex = argIndex(fn, *a)
		if cf.SessionArgIndex < 0 {
			return nil, fmt.Errorf("session argument %q not found in function %q", *a, fn.Name.String())
		}
	}
	cf.ReturnType = fn.ReturnType
	if fn.ReturnKind == "c" {
		cf.ReturnsTable = s.tableByName[fn.ReturnType]
		if cf.ReturnsTable == nil {
			return nil, fmt.Errorf("the function %q returns type %q which is not a tracked table", fn.Name.String(), fn.ReturnType.String())
		}
	} else if fn.ReturnsSet {
		return nil, fmt.Errorf("the function %q returns a set of a scalar type, which is not supported", fn.Name.String())
	}
	return cf, nil
}

func (s *Snapshot) resolveFunction(fm *FunctionMeta) (*Function, error) {
	fn, err := s.singleFunction(fm.Function)
	if err != nil {
		return nil, err
	}
	f := &Function{Name: fm.Function, Info: fn, Meta: fm, SessionArgIndex: -1, GQLName: DefaultGQLName(fm.Function)}
	if fn.ReturnKind != "c" {
		return nil, fmt.Errorf("the function %q cannot be tracked because the function does not return a \"COMPOSITE\" type", fm.Function.String())
	}
	f.ReturnsTable = s.tableByName[fn.ReturnType]
	if f.ReturnsTable == nil {
		return nil, fmt.Errorf("the function %q cannot be tracked because the return table %q is not tracked", fm.Function.String(), fn.ReturnType.String())
	}
	if cfg := fm.Configuration; cfg != nil {
		if cfg.CustomName != "" {
			f.GQLName = cfg.CustomName
		}
		if cfg.SessionArgument != nil {
			f.SessionArgIndex = argIndex(fn, *cfg.SessionArgument)
			if f.SessionArgIndex < 0 {
				return nil, notSupported("the function %q cannot be tracked because given session argument %q not the input argument of the function",
					fm.Function.String(), *cfg.SessionArgument)
			}
			if at := fn.ArgTypes[f.SessionArgIndex]; at.Name != "json" {
				return nil, notSupported("the function %q cannot be tracked because given session argument %q is not of type json",
					fm.Function.String(), *cfg.SessionArgument)
			}
		}
		f.ExposedAsMutation = cfg.ExposedAs == "mutation"
		if f.ExposedAsMutation && fn.Volatility != "v" {
			return nil, fmt.Errorf("in function %q: the function %q cannot be tracked because the function was requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong volatility when it was defined?",
				fm.Function.String(), fm.Function.String())
		}
	}
	if fn.Volatility == "v" && (fm.Configuration == nil || fm.Configuration.ExposedAs == "") {
		f.ExposedAsMutation = true
	}
	f.RootFields.Function = f.GQLName
	f.RootFields.Aggregate = f.GQLName + "_aggregate"
	if cfg := fm.Configuration; cfg != nil {
		if v, ok := cfg.CustomRootFields["function"].(string); ok && v != "" {
			f.RootFields.Function = v
		}
		if v, ok := cfg.CustomRootFields["function_aggregate"].(string); ok && v != "" {
			f.RootFields.Aggregate = v
		}
	}
	return f, nil
}

func (s *Snapshot) singleFunction(q QualifiedName) (*CatalogFunction, error) {
	fns := s.Catalog.Functions[q]
	switch len(fns) {
	case 0:
		return nil, fmt.Errorf("no such function exists: %q", q.String())
	case 1:
		return fns[0], nil
	default:
		return nil, fmt.Errorf("function %q is overloaded; overloaded functions are not supported", q.String())
	}
}

func argIndex(fn *CatalogFunction, name string) int {
	for i, n := range fn.ArgNames {
		if n == name {
			return i
		}
	}
	return -1
}
