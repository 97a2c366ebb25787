package integration

import (
	"testing"
)

func TestInheritedRoleWritePermissions(t *testing.T) {
	t.Parallel()
	s, _ := startWith(t, `CREATE TABLE note (id int PRIMARY KEY, body text, owner int NOT NULL);
INSERT INTO note VALUES (1, 'a', 1), (2, 'b', 2);`,
		op("pg_track_table", map[string]any{"table": "note"}))
	same := map[string]any{"columns": []string{"body"}, "filter": map[string]any{"owner": map[string]any{"_eq": "X-Hasura-User-Id"}}}
	mustMeta(t, s, op("bulk", []any{
		op("pg_create_select_permission", map[string]any{"table": "note", "role": "a", "permission": map[string]any{"columns": "*", "filter": map[string]any{}}}),
		op("pg_create_update_permission", map[string]any{"table": "note", "role": "a", "permission": same}),
		op("pg_create_update_permission", map[string]any{"table": "note", "role": "b", "permission": same}),
		op("pg_create_delete_permission", map[string]any{"table": "note", "role": "a", "permission": map[string]any{"filter": map[string]any{}}}),
		op("pg_create_delete_permission", map[string]any{"table": "note", "role": "b", "permission": map[string]any{"filter": map[string]any{"id": map[string]any{"_eq": 2}}}}),
		op("add_inherited_role", map[string]any{"role_name": "ab", "role_set": []string{"a", "b"}}),
	}))
	ab := map[string]string{"X-Hasura-Role": "ab", "X-Hasura-User-Id": "1"}

	// Parents that agree: the permission is inherited.
	r := gql(t, s, `mutation { update_note(where: {}, _set: {body: "z"}) { affected_rows } }`, nil, ab)
	wantJSON(t, r.Body, `{"data":{"update_note":{"affected_rows":1}}}`)
	// Parents that disagree: no permission, and inconsistent metadata that
	// does not block other changes.
	wantGQLError(t, gql(t, s, `mutation { delete_note(where: {}) { affected_rows } }`, nil, ab), "validation-failed", "$.selectionSet.delete_note", "")
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	if field(t, r.Body, "is_consistent") != false || field(t, r.Body, "inconsistent_objects", 0, "type") != "inherited role permission inconsistency" {
		t.Fatalf("inconsistent objects: %s", r.Body)
	}
	mustMeta(t, s, op("pg_create_insert_permission", map[string]any{"table": "note", "role": "a", "permission": map[string]any{"columns": "*", "check": map[string]any{}}}))
	mustMeta(t, s, op("replace_metadata", jsonRaw(exportMetadata(t, s))))

	// The role's own permission resolves the conflict.
	mustMeta(t, s, op("pg_create_delete_permission", map[string]any{"table": "note", "role": "ab", "permission": map[string]any{"filter": map[string]any{"id": map[string]any{"_eq": 2}}}}))
	r = mustMeta(t, s, op("get_inconsistent_metadata", map[string]any{}))
	wantJSON(t, r.Body, `{"is_consistent":true,"inconsistent_objects":[]}`)
	r = gql(t, s, `mutation { delete_note(where: {}) { affected_rows } }`, nil, ab)
	wantJSON(t, r.Body, `{"data":{"delete_note":{"affected_rows":1}}}`)
	// Inherited from the one parent that has one.
	r = gql(t, s, `mutation { insert_note_one(object: {id: 3, body: "c", owner: 1}) { id } }`, nil, ab)
	wantJSON(t, r.Body, `{"data":{"insert_note_one":{"id":3}}}`)
}
