package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Actions, action permissions and custom types, with Hasura's arguments
// and errors (Hasura.RQL.DDL.Action, Hasura.RQL.DDL.CustomTypes).

func opSetCustomTypes(w *work, r *Request) (any, error) {
	var ct CustomTypes
	if err := decodeArgs(r, &ct); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(&ct)
	if err != nil {
		return nil, fmt.Errorf("encode custom_types: %w", err)
	}
	parsed, err := parseCustomTypes(raw)
	if err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	snap, err := w.resolve()
	if err != nil {
		return nil, err
	}
	tableTypes := map[string]bool{}
	for _, t := range snap.Tables {
		tableTypes[t.GQLName] = true
	}
	if err := parsed.validate(w.pgTypeExists, tableTypes); err != nil {
		if ae, ok := err.(*APIError); ok {
			ae.Internal = []any{map[string]any{"definition": json.RawMessage(raw), "reason": ae.Message, "type": "custom_types"}}
		}
		return nil, err
	}
	if err := parsed.resolveRelationships(snap); err != nil {
		return nil, inconsistent("custom_types", "custom_types", json.RawMessage(raw), err.Error())
	}
	// The actions must still resolve with the new types.
	list, err := w.md.ActionList()
	if err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	for i := range list {
		a, err := resolveAction(&list[i], parsed)
		if err == nil {
			err = w.checkActionTypes(a, parsed)
		}
		if err != nil {
			return nil, inconsistent("action", list[i].Name, list[i], actionReason(list[i].Name, err))
		}
	}
	w.md.CustomTypes = nil
	if len(setParts(raw, "")) > 0 {
		w.md.CustomTypes = raw
	}
	w.changed = true
	return success, nil
}

// inconsistent is the error of an operation that would make an object
// inconsistent, with the object as Hasura's internal details give it.
func inconsistent(typ, name string, def any, reason string) error {
	msg := "Inconsistent object: " + trimInconsistent(reason)
	return &APIError{Status: 400, Code: "invalid-configuration", Path: "$.args", Message: msg,
		Internal: []any{map[string]any{"definition": def, "reason": msg, "name": typ + " " + name, "type": typ}}}
}

func trimInconsistent(s string) string {
	const p = "Inconsistent object: "
	for len(s) >= len(p) && s[:len(p)] == p {
		s = s[len(p):]
	}
	return s
}

// pgTypeExists reports whether a Postgres type of that name exists: custom
// types and action arguments may name Postgres scalars (uuid, geography).
func (w *work) pgTypeExists(name string) bool {
	var ok bool
	err := w.tx.QueryRow(w.ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typname = $1)`, name).Scan(&ok)
	return err == nil && ok
}

type actionArgs struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Comment    *string         `json:"comment"`
}

// checkAction resolves a definition as the action would be served.
func (w *work) checkAction(am *ActionMeta) error {
	if _, err := parseActionDefinition(am.Definition); err != nil {
		return err
	}
	snap, err := w.resolve()
	if err != nil {
		return err
	}
	a, err := resolveAction(am, snap.CustomTypes)
	if err != nil {
		return inconsistent("action", am.Name, am, actionReason(am.Name, err))
	}
	if err := w.checkActionTypes(a, snap.CustomTypes); err != nil {
		return &APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: err.Error()}
	}
	if t := rootFieldOwner(snap, a.Name); t != nil {
		return inconsistent("action", am.Name, am, actionReason(am.Name,
			fmt.Errorf("the action name conflicts with a root field of table %q", t.Name.String())))
	}
	return nil
}

// rootFieldOwner is the table one of whose root fields is named name.
func rootFieldOwner(snap *Snapshot, name string) *Table {
	for _, t := range snap.Tables {
		r := t.RootFields
		for _, n := range []string{r.Select, r.SelectByPk, r.SelectAggregate, r.SelectStream, r.Insert, r.InsertOne,
			r.Update, r.UpdateByPk, r.UpdateMany, r.Delete, r.DeleteByPk} {
			if n == name {
				return t
			}
		}
	}
	return nil
}

// checkActionTypes requires the types an action names to exist: custom
// types, GraphQL's scalars or Postgres types (which resolution, without a
// database at hand, takes on trust).
func (w *work) checkActionTypes(a *Action, ct *CustomTypes) error {
	known := func(n string) bool {
		return builtinScalars[n] || ct.Scalar(n) != nil || ct.Enum(n) != nil || ct.InputObject(n) != nil || ct.Object(n) != nil || w.pgTypeExists(n)
	}
	for _, arg := range a.Arguments {
		if b := arg.Type.Base(); !known(b) || ct.Object(b) != nil {
			return fmt.Errorf("the type: %q is not defined in custom types or it is not a scalar/enum/input_object", b)
		}
	}
	if b := a.Output.Base(); !known(b) || ct.InputObject(b) != nil {
		return fmt.Errorf("the type: %q is not an object or scalar type defined in custom types", b)
	}
	return nil
}

func (w *work) actions() ([]ActionMeta, error) {
	list, err := w.md.ActionList()
	if err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return list, nil
}

func (w *work) storeActions(list []ActionMeta) error {
	w.md.Actions = nil
	if len(list) > 0 {
		b, err := json.Marshal(list)
		if err != nil {
			return fmt.Errorf("encode actions: %w", err)
		}
		w.md.Actions = b
	}
	w.changed = true
	return nil
}

func findAction(list []ActionMeta, name string) int {
	for i := range list {
		if list[i].Name == name {
			return i
		}
	}
	return -1
}

func actionMissing(name string) error {
	return notExists("action with name %q does not exist", name)
}

func opCreateAction(w *work, r *Request) (any, error) {
	var args actionArgs
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	list, err := w.actions()
	if err != nil {
		return nil, err
	}
	if findAction(list, args.Name) >= 0 {
		return nil, alreadyExists("already-exists", "action with name %q already exists", args.Name)
	}
	am := ActionMeta{Name: args.Name, Definition: compactJSON(args.Definition), Comment: args.Comment}
	if err := w.checkAction(&am); err != nil {
		return nil, err
	}
	return success, w.storeActions(append(list, am))
}

func opUpdateAction(w *work, r *Request) (any, error) {
	var args actionArgs
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	list, err := w.actions()
	if err != nil {
		return nil, err
	}
	i := findAction(list, args.Name)
	if i < 0 {
		return nil, actionMissing(args.Name)
	}
	list[i].Definition = compactJSON(args.Definition)
	if args.Comment != nil {
		list[i].Comment = args.Comment
	}
	if err := w.checkAction(&list[i]); err != nil {
		return nil, err
	}
	return success, w.storeActions(list)
}

func opDropAction(w *work, r *Request) (any, error) {
	var args struct {
		Name      string `json:"name"`
		ClearData *bool  `json:"clear_data"`
	}
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	list, err := w.actions()
	if err != nil {
		return nil, err
	}
	i := findAction(list, args.Name)
	if i < 0 {
		return nil, actionMissing(args.Name)
	}
	// clear_data (default true) deletes the action's async call log.
	if args.ClearData == nil || *args.ClearData {
		if err := w.clearActionLog(args.Name); err != nil {
			return nil, err
		}
	}
	return success, w.storeActions(append(list[:i], list[i+1:]...))
}

// clearActionLog deletes an action's rows of the async action log, which
// package actions creates when it starts.
func (w *work) clearActionLog(name string) error {
	var exists bool
	if err := w.tx.QueryRow(w.ctx, `SELECT to_regclass('hdb_catalog.hdb_action_log') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("find the action log: %w", err)
	}
	if !exists {
		return nil
	}
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM hdb_catalog.hdb_action_log WHERE action_name = $1`, name); err != nil {
		return fmt.Errorf("clear the action log of %s: %w", name, err)
	}
	return nil
}

type actionPermArgs struct {
	Action  string  `json:"action"`
	Role    string  `json:"role"`
	Comment *string `json:"comment"`
}

func opCreateActionPermission(w *work, r *Request) (any, error) {
	var args actionPermArgs
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	list, err := w.actions()
	if err != nil {
		return nil, err
	}
	i := findAction(list, args.Action)
	if i < 0 {
		return nil, actionMissing(args.Action)
	}
	if args.Role == "" || args.Role == "admin" {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$.args.role", Message: "a permission cannot be defined for the role admin"}
	}
	for _, p := range list[i].Permissions {
		if p.Role == args.Role {
			return nil, alreadyExists("already-exists", "permission for role %q is already defined on %q", args.Role, args.Action)
		}
	}
	list[i].Permissions = append(list[i].Permissions, ActionPermission{Role: args.Role, Comment: args.Comment})
	return success, w.storeActions(list)
}

func opDropActionPermission(w *work, r *Request) (any, error) {
	var args actionPermArgs
	if err := decodeArgs(r, &args); err != nil {
		return nil, err
	}
	list, err := w.actions()
	if err != nil {
		return nil, err
	}
	i := findAction(list, args.Action)
	if i < 0 {
		return nil, actionMissing(args.Action)
	}
	perms := list[i].Permissions
	for j, p := range perms {
		if p.Role == args.Role {
			list[i].Permissions = append(perms[:j:j], perms[j+1:]...)
			return success, w.storeActions(list)
		}
	}
	return nil, notExists("permission for role: %s is not defined on %s", args.Role, args.Action)
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

// dropActionObject removes an inconsistent action, or the relationships of
// custom types that do not resolve (drop_inconsistent_metadata).
func (w *work) dropActionObject(s *Snapshot, inc InconsistentObject) {
	if inc.Type == "action" {
		list, err := w.md.ActionList()
		if i := findAction(list, inc.item); err == nil && i >= 0 {
			_ = w.storeActions(append(list[:i], list[i+1:]...))
		}
		return
	}
	ct, err := parseCustomTypes(w.md.CustomTypes)
	if err != nil {
		w.md.CustomTypes = nil
		return
	}
	_ = ct.resolveRelationships(s)
	for _, o := range ct.Objects {
		kept := o.Relationships[:0]
		for _, r := range o.Relationships {
			if r.Table != nil {
				kept = append(kept, r)
			}
		}
		o.Relationships = kept
	}
	if raw, err := json.Marshal(ct); err == nil {
		w.md.CustomTypes = raw
	}
}
