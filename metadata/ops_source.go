package metadata

import (
	"encoding/json"
)

// opRenameSource renames an added source. The default source keeps its
// name: Graft serves the source named "default", so renaming it would take
// every table out of the GraphQL schema.
func opRenameSource(w *work, r *Request) (any, error) {
	var a struct {
		Name    string `json:"name"`
		NewName string `json:"new_name"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if a.Name == "" || a.NewName == "" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `"name" and "new_name" are required`}
	}
	src := w.md.Source(a.Name)
	if src == nil {
		return nil, notExists("Could not find source with name %q", a.Name)
	}
	if w.md.Source(a.NewName) != nil {
		return nil, alreadyExists("already-exists", "source with name %q already exists", a.NewName)
	}
	if a.Name == "default" {
		return nil, &APIError{Status: 400, Code: "not-supported", Path: "$.args",
			Message: `Graft serves the source named "default"; it cannot be renamed`}
	}
	src.Name = a.NewName
	w.m.closeSource(a.Name) // pools are kept by name; the next use opens one under the new name
	w.forgetSource(a.Name)
	w.changed = true
	return success, nil
}

// opUpdateSource changes an existing source's configuration and/or
// customization; what the request leaves out is kept.
func opUpdateSource(w *work, r *Request) (any, error) {
	var a struct {
		Name          string          `json:"name"`
		Configuration json.RawMessage `json:"configuration"`
		Customization json.RawMessage `json:"customization"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	src := w.md.Source(a.Name)
	if src == nil {
		return nil, notExists("source with name %q does not exist", a.Name)
	}
	if len(a.Configuration) > 0 && string(a.Configuration) != "null" {
		if _, err := sourceURL(a.Configuration); err != nil {
			return nil, err
		}
		src.Configuration = a.Configuration
		if src.Name != "default" {
			w.m.closeSource(src.Name) // reconnect with the new configuration
			w.forgetSource(src.Name)
		}
	}
	if len(a.Customization) > 0 && string(a.Customization) != "null" {
		if _, err := ParseCustomization(a.Customization); err != nil {
			return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.customization", Message: err.Error()}
		}
		src.Customization = a.Customization
	}
	w.changed = true
	return successWith(w.notServed("source", "source "+a.Name)), nil
}

// opDumpInternalState returns what Graft resolved from the metadata: the
// GraphQL names of tables, columns, relationships and functions, and the
// inconsistent objects. Hasura dumps its schema cache here, whose shape is
// internal and unversioned; this is Graft's equivalent, for debugging.
func opDumpInternalState(w *work, r *Request) (any, error) {
	s, err := w.resolve()
	if err != nil {
		return nil, err
	}
	tables, fns := []map[string]any{}, []map[string]any{}
	for _, src := range s.AllSources() {
		tables = append(tables, dumpTables(src)...)
		fns = append(fns, dumpFunctions(src)...)
	}
	inc := s.Inconsistent
	if inc == nil {
		inc = []InconsistentObject{}
	}
	return map[string]any{"resource_version": w.version, "tables": tables, "functions": fns, "inconsistent_objects": inc}, nil
}

// dumpTables is dump_internal_state's view of a source's tables.
func dumpTables(s *Snapshot) []map[string]any {
	tables := make([]map[string]any, 0, len(s.Tables))
	for _, t := range s.Tables {
		cols := map[string]string{}
		for _, c := range t.Columns {
			cols[c.Name] = c.GQLName
		}
		var rels, cfs []string
		for _, rl := range append(append([]*Relationship{}, t.ObjectRels...), t.ArrayRels...) {
			rels = append(rels, rl.Name)
		}
		for _, cf := range t.ComputedFields {
			cfs = append(cfs, cf.Name)
		}
		tables = append(tables, map[string]any{"source": s.SourceName, "table": t.Name, "graphql_name": t.GQLName,
			"type_name": t.TypeName(""), "is_enum": t.IsEnum,
			"columns": cols, "relationships": rels, "computed_fields": cfs, "root_fields": t.RootFields})
	}
	return tables
}

// dumpFunctions is dump_internal_state's view of a source's functions.
func dumpFunctions(s *Snapshot) []map[string]any {
	fns := make([]map[string]any, 0, len(s.Functions))
	for _, f := range s.Functions {
		fns = append(fns, map[string]any{"source": s.SourceName, "function": f.Name, "graphql_name": f.GQLName,
			"exposed_as_mutation": f.ExposedAsMutation, "returns": f.ReturnsTable.Name})
	}
	return fns
}
