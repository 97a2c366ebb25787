package metadata

import (
	"encoding/json"
	"strings"
)

func opExportMetadata(w *work, r *Request) (any, error) {
	if r.Version == 2 {
		return map[string]any{"resource_version": w.version, "metadata": w.md}, nil
	}
	return w.md, nil
}

func opReplaceMetadata(w *work, r *Request) (any, error) {
	var probe map[string]json.RawMessage
	if err := decodeArgs(r, &probe); err != nil {
		return nil, err
	}
	body := r.Args
	allowInconsistent := false
	if m, ok := probe["metadata"]; ok && probe["sources"] == nil && probe["tables"] == nil {
		body = m
		if v, ok := probe["allow_inconsistent_metadata"]; ok {
			_ = json.Unmarshal(v, &allowInconsistent)
		}
	}
	md, err := ParseMetadata(body)
	if err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	if md.Source("default") == nil {
		md.Sources = append([]Source{DefaultSource()}, md.Sources...)
	}
	if err := checkSecurityParts(md); err != nil {
		return nil, err
	}
	w.md = md
	w.changed = true
	s, err := w.resolve()
	if err != nil {
		return nil, err
	}
	blocking := 0
	for _, inc := range s.Inconsistent {
		if inc.blocking() {
			blocking++
		}
	}
	if blocking > 0 {
		if !allowInconsistent {
			return nil, &APIError{Status: 400, Code: "unexpected", Path: "$.args",
				Message: "cannot continue due to inconsistent metadata", Internal: s.Inconsistent}
		}
		return withWarnings(map[string]any{"is_consistent": false, "inconsistent_objects": s.Inconsistent}, s.NotServed), nil
	}
	// Every object the new metadata holds but Graft does not serve is named,
	// as Hasura names its metadata warnings. allow_warnings: false is not
	// honoured: Hasura would have no warning for these objects and accept
	// the request, so Graft accepts it too.
	if r.Version == 2 {
		return withWarnings(map[string]any{"is_consistent": true, "inconsistent_objects": []any{}}, s.NotServed), nil
	}
	return successWith(s.NotServed), nil
}

func opReloadMetadata(w *work, r *Request) (any, error) {
	w.reloadRemoteSchemasFor(r)
	w.changed = true // Hasura bumps resource_version on reload too
	s, err := w.resolve()
	if err != nil {
		return nil, err
	}
	if len(s.Inconsistent) > 0 {
		return map[string]any{"is_consistent": false, "message": "success", "inconsistent_objects": s.Inconsistent}, nil
	}
	return map[string]any{"is_consistent": true, "message": "success"}, nil
}

func opClearMetadata(w *work, r *Request) (any, error) {
	def := DefaultSource()
	if old := w.md.Source("default"); old != nil {
		def.Configuration = old.Configuration
	}
	w.md = &Metadata{Version: 3, Sources: []Source{def}}
	w.changed = true
	return success, nil
}

func opGetInconsistent(w *work, r *Request) (any, error) {
	s, err := w.resolve()
	if err != nil {
		return nil, err
	}
	objs := s.Inconsistent
	if objs == nil {
		objs = []InconsistentObject{}
	}
	return map[string]any{"is_consistent": len(objs) == 0, "inconsistent_objects": objs}, nil
}

func opDropInconsistent(w *work, r *Request) (any, error) {
	if err := w.dropInconsistent(nil); err != nil {
		return nil, err
	}
	return success, nil
}

// dropInconsistent removes inconsistent objects (all, or those not in keep)
// until what remains resolves cleanly: dropping a table can strand the
// relationships that pointed at it.
func (w *work) dropInconsistent(keep map[string]bool) error {
	for range 10 {
		s, err := w.resolve()
		if err != nil {
			return err
		}
		removed := 0
		for _, inc := range s.Inconsistent {
			if keep[inc.Name] || !inc.blocking() {
				continue // an inherited-role conflict goes when a role gets its own permission
			}
			if inc.Type == "remote_schema" {
				w.dropRemoteSchema(inc.item)
			} else if inc.Type == "action" || inc.Type == "custom_types" {
				w.dropActionObject(s, inc)
			} else if inc.Type == "source" {
				w.dropSource(inc.item)
			} else if src := w.md.Source(inc.sourceName()); src != nil {
				removeObject(src, inc)
			}
			removed++
		}
		if removed == 0 {
			return nil
		}
		w.changed = true
	}
	return nil
}

func removeObject(src *Source, inc InconsistentObject) {
	switch inc.Type {
	case "table":
		for i := range src.Tables {
			if src.Tables[i].Table == inc.table {
				src.Tables = append(src.Tables[:i], src.Tables[i+1:]...)
				return
			}
		}
	case "function":
		for i := range src.Functions {
			if src.Functions[i].Function == inc.table {
				src.Functions = append(src.Functions[:i], src.Functions[i+1:]...)
				return
			}
		}
	case "object_relation", "array_relation":
		if tm := src.Table(inc.table); tm != nil {
			editRelationship(tm, inc.item, func(rels *[]RelationshipMeta, i int) { *rels = append((*rels)[:i], (*rels)[i+1:]...) })
		}
	case "insert_permission", "select_permission", "update_permission", "delete_permission":
		if tm := src.Table(inc.table); tm != nil {
			dropPermission(tm, strings.TrimSuffix(inc.Type, "_permission"), inc.item)
		}
	case "remote_relationship":
		if tm := src.Table(inc.table); tm != nil {
			dropRemoteRel(tm, inc.item)
		}
	case "computed_field":
		if tm := src.Table(inc.table); tm != nil {
			for i := range tm.ComputedFields {
				if tm.ComputedFields[i].Name == inc.item {
					tm.ComputedFields = append(tm.ComputedFields[:i], tm.ComputedFields[i+1:]...)
					return
				}
			}
		}
	}
}

func opAddSource(w *work, r *Request) (any, error) {
	var a struct {
		Name                 string          `json:"name"`
		Configuration        json.RawMessage `json:"configuration"`
		ReplaceConfiguration bool            `json:"replace_configuration"`
		Customization        json.RawMessage `json:"customization"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if _, err := ParseCustomization(a.Customization); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.customization", Message: err.Error()}
	}
	if existing := w.md.Source(a.Name); existing != nil {
		if !a.ReplaceConfiguration {
			return nil, alreadyExists("already-exists", "source with name %q already exists", a.Name)
		}
		existing.Configuration = a.Configuration
		if len(a.Customization) > 0 {
			existing.Customization = a.Customization
		}
		w.changed = true
		if existing.Name != "default" {
			w.m.closeSource(existing.Name) // reconnect with the new configuration
			w.forgetSource(existing.Name)
		}
		return successWith(w.notServed("source", "source "+a.Name)), nil
	}
	if _, err := sourceURL(a.Configuration); err != nil {
		return nil, err
	}
	w.md.Sources = append(w.md.Sources, Source{Name: a.Name, Kind: "postgres", Tables: []TableMeta{},
		Configuration: a.Configuration, Customization: a.Customization})
	w.changed = true
	if _, err := w.catalogOf(a.Name); err != nil {
		if _, ok := err.(*APIError); ok {
			return nil, err
		}
		// Hasura refuses a source it cannot reach, in these words.
		return nil, &APIError{Status: 400, Code: "unexpected", Path: "$.args", Message: "Inconsistent object: connection error",
			Internal: err.Error()}
	}
	return successWith(w.notServed("source", "source "+a.Name)), nil
}

func opDropSource(w *work, r *Request) (any, error) {
	var a struct {
		Name    string `json:"name"`
		Cascade bool   `json:"cascade"`
	}
	if err := decodeArgs(r, &a); err != nil {
		return nil, err
	}
	if w.md.Source(a.Name) != nil {
		if err := w.dropSourceDependents(a.Name, a.Cascade); err != nil {
			return nil, err
		}
	}
	if !w.dropSource(a.Name) {
		return nil, notExists("source with name %q does not exist", a.Name)
	}
	return success, nil
}

// dropSource removes a source from the metadata and closes its pool.
func (w *work) dropSource(name string) bool {
	for i := range w.md.Sources {
		if w.md.Sources[i].Name == name {
			w.md.Sources = append(w.md.Sources[:i], w.md.Sources[i+1:]...)
			w.changed = true
			w.m.closeSource(name)
			w.forgetSource(name)
			return true
		}
	}
	return false
}
