package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tableItemArgs is the common shape of operations on something of a table.
type tableItemArgs struct {
	Table        QualifiedName           `json:"table"`
	Source       string                  `json:"source"`
	Name         string                  `json:"name"`
	Relationship string                  `json:"relationship"`
	NewName      string                  `json:"new_name"`
	Using        RelUsing                `json:"using"`
	Comment      *string                 `json:"comment"`
	Cascade      bool                    `json:"cascade"`
	Role         string                  `json:"role"`
	Permission   json.RawMessage         `json:"permission"`
	Type         string                  `json:"type"`
	Definition   ComputedFieldDefinition `json:"definition"`
}

func (w *work) tableItem(r *Request) (*tableItemArgs, *TableMeta, error) {
	var a tableItemArgs
	if err := decodeArgs(r, &a); err != nil {
		return nil, nil, err
	}
	if a.Source == "" {
		a.Source = r.Source
	}
	tm, err := w.trackedTable(a.Source, a.Table)
	return &a, tm, err
}

func hasRelationship(tm *TableMeta, name string) bool {
	for _, rels := range [][]RelationshipMeta{tm.ObjectRelationships, tm.ArrayRelationships} {
		for _, r := range rels {
			if r.Name == name {
				return true
			}
		}
	}
	return false
}

func createRel(w *work, r *Request, array bool) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	if hasRelationship(tm, a.Name) {
		return nil, alreadyExists("already-exists", "relationship with name %q already exists", a.Name)
	}
	for _, c := range w.m.columnsOf(w, tm.Table) {
		if c == a.Name {
			return nil, alreadyExists("already-exists", "column/relationship %q of table %q already exists", a.Name, tm.Table.String())
		}
	}
	rm := RelationshipMeta{Name: a.Name, Using: a.Using, Comment: a.Comment}
	kind := ObjectRel
	if array {
		kind = ArrayRel
		tm.ArrayRelationships = append(tm.ArrayRelationships, rm)
	} else {
		tm.ObjectRelationships = append(tm.ObjectRelationships, rm)
	}
	w.changed = true
	return success, w.checkConsistentFor(objRef{typ: relKindName(kind), table: tm.Table, item: a.Name}, "constraint-violation")
}

// columnsOf lists the column names of a table in the request's catalog.
func (m *Manager) columnsOf(w *work, t QualifiedName) []string {
	cat, err := w.catalog()
	if err != nil || cat.Tables[t] == nil {
		return nil
	}
	var out []string
	for _, c := range cat.Tables[t].Columns {
		out = append(out, c.Name)
	}
	return out
}

func opCreateObjectRel(w *work, r *Request) (any, error) { return createRel(w, r, false) }
func opCreateArrayRel(w *work, r *Request) (any, error)  { return createRel(w, r, true) }

// editRelationship finds a relationship by name and lets fn edit or drop it.
func editRelationship(tm *TableMeta, name string, fn func(rels *[]RelationshipMeta, i int)) bool {
	for _, rels := range []*[]RelationshipMeta{&tm.ObjectRelationships, &tm.ArrayRelationships} {
		for i := range *rels {
			if (*rels)[i].Name == name {
				fn(rels, i)
				return true
			}
		}
	}
	return false
}

func opDropRel(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	name := a.Relationship
	if name == "" {
		name = a.Name
	}
	ok := editRelationship(tm, name, func(rels *[]RelationshipMeta, i int) { *rels = append((*rels)[:i], (*rels)[i+1:]...) })
	if !ok {
		return nil, notExists("relationship %q does not exist", name)
	}
	w.changed = true
	return success, nil
}

func opRenameRel(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	if hasRelationship(tm, a.NewName) {
		return nil, alreadyExists("already-exists", "relationship with name %q already exists", a.NewName)
	}
	kind := ObjectRel
	if !editRelationship(tm, a.Name, func(rels *[]RelationshipMeta, i int) {
		(*rels)[i].Name = a.NewName
		if rels == &tm.ArrayRelationships {
			kind = ArrayRel
		}
	}) {
		return nil, notExists("relationship %q does not exist", a.Name)
	}
	w.changed = true
	return success, w.checkConsistentFor(objRef{typ: relKindName(kind), table: tm.Table, item: a.NewName}, "constraint-violation")
}

func opSetRelComment(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	name := a.Relationship
	if name == "" {
		name = a.Name
	}
	if !editRelationship(tm, name, func(rels *[]RelationshipMeta, i int) { (*rels)[i].Comment = a.Comment }) {
		return nil, notExists("relationship %q does not exist", name)
	}
	w.changed = true
	return success, nil
}

func opAddComputedField(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	for _, cf := range tm.ComputedFields {
		if cf.Name == a.Name {
			return nil, alreadyExists("already-exists", "computed field %q already exists", a.Name)
		}
	}
	tm.ComputedFields = append(tm.ComputedFields, ComputedFieldMeta{Name: a.Name, Definition: a.Definition, Comment: a.Comment})
	w.changed = true
	return success, w.checkConsistentFor(objRef{typ: "computed_field", table: tm.Table, item: a.Name}, "constraint-violation")
}

func opDropComputedField(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	for i, cf := range tm.ComputedFields {
		if cf.Name == a.Name {
			deps, roles := permissionsUsing(tm, cf.Name)
			if len(deps) > 0 && !a.Cascade {
				return nil, &APIError{Status: 400, Code: "dependency-error", Path: "$.args",
					Message: "cannot drop due to the following dependent objects : " + strings.Join(deps, ", ")}
			}
			for _, role := range roles {
				dropPermission(tm, "select", role)
			}
			tm.ComputedFields = append(tm.ComputedFields[:i], tm.ComputedFields[i+1:]...)
			w.changed = true
			return success, nil
		}
	}
	return nil, notExists("computed field %q does not exist", a.Name)
}

// functionArgs accepts {schema,name}, a bare name, or {function, configuration|config, source}.
func parseFunctionArgs(r *Request) (QualifiedName, *FunctionConfig, string, *string, error) {
	var name string
	if json.Unmarshal(r.Args, &name) == nil {
		return QualifiedName{Schema: "public", Name: name}, nil, r.Source, nil, nil
	}
	var v struct {
		Function      *QualifiedName  `json:"function"`
		Schema        string          `json:"schema"`
		Name          string          `json:"name"`
		Source        string          `json:"source"`
		Configuration *FunctionConfig `json:"configuration"`
		Config        *struct {
			SessionVariableArgument *string `json:"session_variable_argument"`
		} `json:"config"`
		Comment *string `json:"comment"`
	}
	if err := decodeArgs(r, &v); err != nil {
		return QualifiedName{}, nil, "", nil, err
	}
	q := QualifiedName{Schema: v.Schema, Name: v.Name}
	if v.Function != nil {
		q = *v.Function
	}
	if q.Schema == "" {
		q.Schema = "public"
	}
	cfg := v.Configuration
	if v.Config != nil && v.Config.SessionVariableArgument != nil {
		if cfg == nil {
			cfg = &FunctionConfig{}
		}
		cfg.SessionArgument = v.Config.SessionVariableArgument
	}
	src := v.Source
	if src == "" {
		src = r.Source
	}
	return q, cfg, src, v.Comment, nil
}

func opTrackFunction(w *work, r *Request) (any, error) {
	q, cfg, source, comment, err := parseFunctionArgs(r)
	if err != nil {
		return nil, err
	}
	src, err := w.sourceOf(source)
	if err != nil {
		return nil, err
	}
	if src.Function(q) != nil {
		return nil, alreadyExists("already-tracked", "function already tracked: %q", q.String())
	}
	if src.Table(q) != nil {
		return nil, alreadyExists("not-supported", "table with name %q already exists", q.String())
	}
	cat, err := w.catalogOf(src.Name)
	if err != nil {
		return nil, err
	}
	if len(cat.Functions[q]) == 0 {
		return nil, notExists("no such function exists: %q", q.String())
	}
	src.Functions = append(src.Functions, FunctionMeta{Function: q, Configuration: cfg, Comment: comment})
	w.changed = true
	return success, w.checkConsistentFor(functionRef(q), "invalid-configuration")
}

func opUntrackFunction(w *work, r *Request) (any, error) {
	q, _, source, _, err := parseFunctionArgs(r)
	if err != nil {
		return nil, err
	}
	src, err := w.sourceOf(source)
	if err != nil {
		return nil, err
	}
	for i := range src.Functions {
		if src.Functions[i].Function == q {
			src.Functions = append(src.Functions[:i], src.Functions[i+1:]...)
			w.changed = true
			return success, nil
		}
	}
	return nil, notExists("function not found in metadata: %q", q.String())
}

func permList(tm *TableMeta, kind string) *[]Permission {
	switch kind {
	case "select":
		return &tm.SelectPermissions
	case "insert":
		return &tm.InsertPermissions
	case "update":
		return &tm.UpdatePermissions
	default:
		return &tm.DeletePermissions
	}
}

func permCreate(kind string) opFunc {
	return func(w *work, r *Request) (any, error) {
		a, tm, err := w.tableItem(r)
		if err != nil {
			return nil, err
		}
		list := permList(tm, kind)
		for _, p := range *list {
			if p.Role == a.Role {
				return nil, alreadyExists("already-exists", "%s permission already defined on table %q with role %q", kind, tm.Table.String(), a.Role)
			}
		}
		if len(a.Permission) == 0 {
			return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: `key "permission" not found`}
		}
		*list = append(*list, Permission{Role: a.Role, Permission: a.Permission, Comment: a.Comment})
		w.changed = true
		if src := w.md.Source(a.Source); src != nil && src.Name != "default" {
			return success, nil
		}
		return success, w.checkConsistentFor(objRef{typ: kind + "_permission", table: tm.Table, item: a.Role}, "constraint-violation")
	}
}

func permDrop(kind string) opFunc {
	return func(w *work, r *Request) (any, error) {
		a, tm, err := w.tableItem(r)
		if err != nil {
			return nil, err
		}
		list := permList(tm, kind)
		for i, p := range *list {
			if p.Role == a.Role {
				*list = append((*list)[:i], (*list)[i+1:]...)
				w.changed = true
				return success, nil
			}
		}
		return nil, &APIError{Status: 400, Code: "bad-request", Path: "$.args",
			Message: fmt.Sprintf("%s permission on %q for role %q does not exist", kind, tm.Table.String(), a.Role)}
	}
}

func opSetPermissionComment(w *work, r *Request) (any, error) {
	a, tm, err := w.tableItem(r)
	if err != nil {
		return nil, err
	}
	list := permList(tm, a.Type)
	for i := range *list {
		if (*list)[i].Role == a.Role {
			(*list)[i].Comment = a.Comment
			w.changed = true
			return success, nil
		}
	}
	return nil, notExists("permission %q does not exist", a.Role+"."+a.Type)
}
