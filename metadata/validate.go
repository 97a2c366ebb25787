package metadata

import (
	"fmt"
	"regexp"
	"strings"
)

// objRef names the metadata object an operation adds or edits, so that its
// consistency check can tell "this object is wrong" (the caller's mistake,
// reported with the object's own reason) from "this change broke something
// else" (Hasura's "cannot continue due to new inconsistent metadata").
type objRef struct {
	typ   string // InconsistentObject.Type
	table QualifiedName
	item  string // relationship, computed field or permission role; "" for tables and functions
}

func tableRef(t QualifiedName) objRef    { return objRef{typ: "table", table: t} }
func functionRef(f QualifiedName) objRef { return objRef{typ: "function", table: f} }

func (o objRef) matches(inc InconsistentObject) bool {
	return inc.Type == o.typ && inc.table == o.table && inc.item == o.item
}

// checkConsistentFor fails when the edited metadata has inconsistencies that
// were not there before the request: an operation must not break metadata.
// When own is among them the error carries own's reasons with code (Hasura's
// codes differ by operation: invalid-configuration for tables and functions,
// constraint-violation for relationships, computed fields and permissions);
// otherwise it is Hasura's 400 "unexpected" listing what broke.
func (w *work) checkConsistentFor(own objRef, code string) error {
	s, err := w.resolve()
	if err != nil {
		return err
	}
	var fresh, mine []InconsistentObject
	for _, inc := range s.Inconsistent {
		if w.baseline[inc.Name] || !inc.blocking() {
			continue
		}
		fresh = append(fresh, inc)
		if own.matches(inc) {
			mine = append(mine, inc)
		}
	}
	if len(mine) > 0 {
		reasons := make([]string, len(mine))
		for i, inc := range mine {
			reasons[i] = inc.Reason
		}
		msg := strings.Join(reasons, ", ")
		if mine[0].code != "" {
			return &APIError{Status: 400, Code: mine[0].code, Path: "$.args", Message: msg, Internal: mine}
		}
		if code == "invalid-configuration" {
			msg = "Inconsistent object: " + msg
		}
		return &APIError{Status: 400, Code: code, Path: "$.args", Message: msg, Internal: mine}
	}
	for _, inc := range fresh {
		// A table tracked over a remote schema's root field (Hasura's
		// remote-schema-conflicts).
		if inc.code == codeRemoteSchemaConflicts {
			return &APIError{Status: 400, Code: inc.code, Path: "$.args", Message: inc.Reason, Internal: fresh}
		}
	}
	if len(fresh) > 0 {
		return &APIError{Status: 400, Code: "unexpected", Path: "$.args",
			Message: "cannot continue due to new inconsistent metadata", Internal: fresh}
	}
	return nil
}

// fieldConflict reports whether name is already a field of t: a column (by
// its GraphQL name), a relationship, or a computed field resolved so far.
// Every field of a table's GraphQL type must be unique, so Hasura marks the
// later definition inconsistent.
func fieldConflict(t *Table, name string) error {
	if c := t.ColumnByGQL(name); c != nil {
		if c.GQLName != c.Name {
			return fmt.Errorf("field definition conflicts with custom field name for postgres column %q", c.Name)
		}
		return fmt.Errorf("field definition conflicts with postgres column")
	}
	if c := t.Column(name); c != nil && c.GQLName != name {
		// The Postgres name is free in GraphQL, but Hasura still refuses it so
		// that a later rename of the custom name cannot collide.
		return fmt.Errorf("field definition conflicts with postgres column")
	}
	for _, rels := range [][]*Relationship{t.ObjectRels, t.ArrayRels} {
		for _, r := range rels {
			if r.Name == name {
				return fmt.Errorf("field definition conflicts with relationship %q", r.Name)
			}
		}
	}
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return fmt.Errorf("field definition conflicts with computed field %q", cf.Name)
		}
	}
	return nil
}

// relFieldConflict checks a relationship's fields: its name and, for an
// array relationship, the <name>_aggregate field it also adds.
func relFieldConflict(t *Table, name string, kind RelKind) error {
	if err := fieldConflict(t, name); err != nil {
		return err
	}
	if kind == ArrayRel {
		return fieldConflict(t, name+"_aggregate")
	}
	return nil
}

// checkColumnNames refuses custom column names that give two columns the
// same GraphQL name, as Hasura's set_table_custom_fields does.
func checkColumnNames(tm *TableMeta, cat *Catalog) error {
	info := cat.Tables[tm.Table]
	if info == nil || tm.Configuration == nil {
		return nil
	}
	t, err := resolveTable(tm, cat)
	if err != nil {
		return nil
	}
	seen := map[string]string{}
	for _, c := range t.Columns {
		if prev, ok := seen[c.GQLName]; ok {
			return &APIError{Status: 400, Code: "not-supported", Path: "$.args",
				Message: fmt.Sprintf("the following custom column names conflict with existing column names: %s (columns %q and %q)",
					c.GQLName, prev, c.Name)}
		}
		seen[c.GQLName] = c.Name
	}
	for name := range tm.Configuration.CustomColumnNames {
		if info.Column(name) == nil {
			return &APIError{Status: 400, Code: "not-exists", Path: "$.args",
				Message: fmt.Sprintf("the following columns are not found in table %q: %s", tm.Table.String(), name)}
		}
	}
	return nil
}

// orphanRelationships reports the relationships of a table that is gone, as
// Hasura does: each is inconsistent too, so drop_inconsistent_metadata and
// run_sql's dependency check name them.
func (s *Snapshot) orphanRelationships(tm *TableMeta) {
	reason := fmt.Sprintf("table %q does not exist", tm.Table.String())
	for i := range tm.ObjectRelationships {
		s.relInconsistent(tm.Table, &tm.ObjectRelationships[i], ObjectRel, reason)
	}
	for i := range tm.ArrayRelationships {
		s.relInconsistent(tm.Table, &tm.ArrayRelationships[i], ArrayRel, reason)
	}
}

// dependentsOf names, in Hasura's words, the objects of other tables and the
// functions that need table t: relationships to it, computed fields and
// functions returning its rows. The resolved snapshot knows the target of a
// relationship on a table's own foreign key, which metadata alone does not.
func (s *Snapshot) dependentsOf(t QualifiedName) []string {
	var deps []string
	for _, other := range s.Tables {
		if other.Name == t {
			continue
		}
		for _, rels := range [][]*Relationship{other.ObjectRels, other.ArrayRels} {
			for _, r := range rels {
				if r.Target != nil && r.Target.Name == t {
					deps = append(deps, fmt.Sprintf("relationship %s.%s", other.Name.String(), r.Name))
				}
			}
		}
		for _, cf := range other.ComputedFields {
			if cf.ReturnsTable != nil && cf.ReturnsTable.Name == t {
				deps = append(deps, fmt.Sprintf("computed field %s.%s", other.Name.String(), cf.Name))
			}
		}
	}
	for _, f := range s.Functions {
		if f.ReturnsTable != nil && f.ReturnsTable.Name == t {
			deps = append(deps, "function "+f.Name.String())
		}
	}
	return deps
}

// gqlName is the GraphQL Name production.
var gqlName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)

// checkEnumValues refuses an enum table whose values cannot be GraphQL enum
// values: Hasura reports the table inconsistent rather than serve a schema
// that GraphQL clients would reject.
func checkEnumValues(t *Table, vals []EnumValue) error {
	if len(vals) == 0 {
		return fmt.Errorf("the table %q cannot be used as an enum because it has no rows", t.Name.String())
	}
	for _, v := range vals {
		if !gqlName.MatchString(v.Value) || v.Value == "true" || v.Value == "false" || v.Value == "null" {
			return fmt.Errorf("the table %q cannot be used as an enum because the value %q is not a valid GraphQL enum value name",
				t.Name.String(), v.Value)
		}
	}
	return nil
}

// dependencyName names an inconsistent object as Hasura's dependency errors
// do: "relationship author.articles", "permission article.user.select".
func (inc InconsistentObject) dependencyName() string {
	switch inc.Type {
	case "object_relation", "array_relation":
		return "relationship " + inc.table.String() + "." + inc.item
	case "computed_field":
		return "computed field " + inc.table.String() + "." + inc.item
	case "remote_relationship":
		return "remote_relationship " + inc.item + " in table " + inc.table.String()
	case "insert_permission", "select_permission", "update_permission", "delete_permission":
		return "permission " + inc.table.String() + "." + inc.item + "." + strings.TrimSuffix(inc.Type, "_permission")
	default:
		return inc.Type + " " + inc.table.String()
	}
}

// codedError is a resolution failure that Hasura reports with its own code
// when the failing object's operation is refused (not-supported for a
// function's bad session argument, for instance).
type codedError struct {
	code, msg string
}

func (e *codedError) Error() string { return e.msg }

func notSupported(format string, a ...any) error {
	return &codedError{code: "not-supported", msg: fmt.Sprintf(format, a...)}
}

func errorCode(err error) string {
	if ce, ok := err.(*codedError); ok {
		return ce.code
	}
	return ""
}
