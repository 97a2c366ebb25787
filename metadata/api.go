package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one admin API body: {type, args, version, resource_version, source}.
type Request struct {
	Type            string          `json:"type"`
	Args            json.RawMessage `json:"args"`
	Version         int             `json:"version,omitempty"`
	ResourceVersion *int64          `json:"resource_version,omitempty"`
	Source          string          `json:"source,omitempty"`
}

// Endpoints that accept admin bodies; each accepts a different set of types.
const (
	EndpointMetadata = "/v1/metadata"
	EndpointQueryV1  = "/v1/query"
	EndpointQueryV2  = "/v2/query"
)

type opFunc func(w *work, r *Request) (any, error)

var success = map[string]string{"message": "success"}

// ops maps an unprefixed operation name to its implementation. Names with a
// pg_ prefix resolve to the same entry on /v1/metadata.
var ops map[string]opFunc

// dataOps are the operations /v2/query accepts. The catalog state ops are a
// Graft extension there: a bulk of run_sql and set_catalog_state applies a
// migration and records it in one transaction (the CLI probes for it).
var dataOps = map[string]bool{"run_sql": true, "select": true, "insert": true, "update": true, "delete": true, "count": true, "bulk": true,
	"get_catalog_state": true, "set_catalog_state": true}

func init() {
	ops = map[string]opFunc{
		"track_table": opTrackTable, "untrack_table": opUntrackTable, "add_existing_table_or_view": opTrackTable,
		"set_table_customization": opSetTableCustomization, "set_table_is_enum": opSetTableIsEnum,
		"set_table_custom_fields":    opSetTableCustomFields,
		"create_object_relationship": opCreateObjectRel, "create_array_relationship": opCreateArrayRel,
		"drop_relationship": opDropRel, "rename_relationship": opRenameRel, "set_relationship_comment": opSetRelComment,
		"track_function": opTrackFunction, "untrack_function": opUntrackFunction,
		"add_computed_field": opAddComputedField, "drop_computed_field": opDropComputedField,
		"create_select_permission": permCreate("select"), "create_insert_permission": permCreate("insert"),
		"create_update_permission": permCreate("update"), "create_delete_permission": permCreate("delete"),
		"drop_select_permission": permDrop("select"), "drop_insert_permission": permDrop("insert"),
		"drop_update_permission": permDrop("update"), "drop_delete_permission": permDrop("delete"),
		"set_permission_comment": opSetPermissionComment,
		"export_metadata":        opExportMetadata, "replace_metadata": opReplaceMetadata,
		"reload_metadata": opReloadMetadata, "clear_metadata": opClearMetadata,
		"get_inconsistent_metadata": opGetInconsistent, "drop_inconsistent_metadata": opDropInconsistent,
		"add_source": opAddSource, "drop_source": opDropSource,
		"rename_source": opRenameSource, "update_source": opUpdateSource, "dump_internal_state": opDumpInternalState,
		"test_webhook_transform": opTestWebhookTransform, "add_inherited_role": opAddInheritedRole,
		"drop_inherited_role":  opDropInheritedRole,
		"create_event_trigger": opCreateEventTrigger, "delete_event_trigger": opDeleteEventTrigger,
		"redeliver_event": eventOp("redeliver_event"), "invoke_event_trigger": eventOp("invoke_event_trigger"),
		"get_event_logs": eventOp("get_event_logs"), "get_event_invocation_logs": eventOp("get_event_invocation_logs"),
		"get_event_by_id":   eventOp("get_event_by_id"),
		"get_catalog_state": opGetCatalogState, "set_catalog_state": opSetCatalogState,
		"run_sql": opRunSQL, "insert": opInsert, "select": opSelect, "count": opCount,
		"update": opUpdate, "delete": opDelete,
		"create_query_collection": opCreateQueryCollection, "rename_query_collection": opRenameQueryCollection,
		"drop_query_collection": opDropQueryCollection, "add_query_to_collection": opAddQueryToCollection,
		"drop_query_from_collection": opDropQueryFromCollection, "add_collection_to_allowlist": opAddCollectionToAllowlist,
		"drop_collection_from_allowlist":          opDropCollectionFromAllowlist,
		"update_scope_of_collection_in_allowlist": opUpdateScopeOfCollectionInAllowlist,
		"set_api_limits":                          opSetAPILimits, "remove_api_limits": opRemoveAPILimits,
		"set_custom_types": opSetCustomTypes, "create_action": opCreateAction, "update_action": opUpdateAction,
		"drop_action": opDropAction, "create_action_permission": opCreateActionPermission,
		"drop_action_permission": opDropActionPermission,
	}
	for name, op := range remoteSchemaOps {
		ops[name] = op
	}
	for name, op := range remoteRelOps {
		ops[name] = op
	}
	for name, op := range otelOps {
		ops[name] = op
	}
}

// Handle runs one admin request posted to endpoint and returns the value to
// encode as the response body, or an *APIError.
func (m *Manager) Handle(ctx context.Context, endpoint string, body []byte) (any, error) {
	if !json.Valid(body) {
		return nil, &APIError{Status: 400, Code: "invalid-json", Path: "$", Message: "Error in $: Failed reading: not a valid json value"}
	}
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: "$", Message: "invalid JSON body: " + err.Error()}
	}
	expect := int64(-1)
	if r.ResourceVersion != nil {
		expect = *r.ResourceVersion
	}
	if res, handled, err := m.runSQLNoTransaction(ctx, &r, expect); handled {
		return res, err
	}
	var ran *work
	res, err := m.runExpecting(ctx, expect, func(w *work) (any, error) { ran = w; return w.dispatch(endpoint, &r, "$") })
	if err != nil && ran != nil && ran.keptSteps {
		// The metadata is unchanged but the database is not (a bulk kept
		// its run_sql steps): serve the new catalog. The request's own
		// error stands whatever the reload says.
		_ = m.reloadIfNewer(context.WithoutCancel(ctx), -1)
	}
	return res, err
}

func (w *work) dispatch(endpoint string, r *Request, path string) (any, error) {
	name := r.Type
	if endpoint == EndpointMetadata {
		name = strings.TrimPrefix(name, "pg_")
	}
	if endpoint == EndpointQueryV2 && !dataOps[name] {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: path, Message: fmt.Sprintf("unknown type %q for /v2/query", r.Type)}
	}
	if err := checkVersion(endpoint, r, path); err != nil {
		return nil, err
	}
	if name == "bulk" {
		return w.bulk(endpoint, r, path)
	}
	op := ops[name]
	if op == nil {
		return nil, &APIError{Status: 400, Code: "parse-failed", Path: path + ".type", Message: fmt.Sprintf("unknown metadata operation %q", r.Type)}
	}
	res, err := op(w, r)
	if ae, ok := err.(*APIError); ok && path != "$" && strings.HasPrefix(ae.Path, "$") {
		ae.Path = path + strings.TrimPrefix(ae.Path, "$")
	}
	return res, err
}

// checkVersion refuses a body version other than 1 or 2 on the endpoints
// whose bodies carry one, as Hasura's parser does (0 is "not given").
func checkVersion(endpoint string, r *Request, path string) error {
	if endpoint == EndpointQueryV2 || r.Version == 0 || r.Version == 1 || r.Version == 2 {
		return nil
	}
	return &APIError{Status: 400, Code: "parse-failed", Path: path + ".version",
		Message: fmt.Sprintf("expected 1 or 2, encountered %d", r.Version)}
}

// decodeArgs parses an operation's args, reporting Hasura's parse-failed.
func decodeArgs(r *Request, into any) error {
	if len(r.Args) == 0 {
		return &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: "args are missing"}
	}
	if err := json.Unmarshal(r.Args, into); err != nil {
		return &APIError{Status: 400, Code: "parse-failed", Path: "$.args", Message: err.Error()}
	}
	return nil
}

// sourceOf returns the source an operation targets, checking that it exists.
func (w *work) sourceOf(name string) (*Source, error) {
	if name == "" {
		name = "default"
	}
	s := w.md.Source(name)
	if s == nil {
		return nil, &APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: fmt.Sprintf("source with name %q does not exist", name)}
	}
	return s, nil
}

// catalogOf returns the catalog of a source: the request's transaction for
// the default source, a fresh read of an added source's database otherwise.
func (w *work) catalogOf(source string) (*Catalog, error) {
	if source == "" || source == "default" {
		return w.catalog()
	}
	pool, err := w.m.sourcePool(w.ctx, w.md, source)
	if err != nil {
		return nil, err
	}
	return Introspect(w.ctx, pool)
}

func notExists(format string, a ...any) error {
	return &APIError{Status: 400, Code: "not-exists", Path: "$.args", Message: fmt.Sprintf(format, a...)}
}

func alreadyExists(code, format string, a ...any) error {
	return &APIError{Status: 400, Code: code, Path: "$.args", Message: fmt.Sprintf(format, a...)}
}
