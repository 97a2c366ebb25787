package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// NotServedCode is the code of every "stored, not served" warning. Hasura's
// own warning codes (source-cleanup-failed, illegal-event-trigger-name,
// time-limit-exceeded-system-limit) each name one way a request partly
// failed; here the request succeeded and the object is kept for export, so
// the code names the object's state. It is not Hasura's error code
// "not-supported", which Graft answers when it refuses an operation.
const NotServedCode = "not-served"

// Warning is one entry of a metadata response's "warnings", in the shape of
// Hasura v2's MetadataWarning (Hasura.RQL.DDL.Warnings): type is Hasura's
// moiTypeName of the object and name its moiName ("<type> <name>"), as in
// inconsistent_objects.
type Warning struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NotServed lists what md holds that Graft keeps (export_metadata returns
// it) but does not act on, top-level parts first, then each source's, so
// that no such object is silently ignored: a user who adds a cron trigger
// must learn that it never fires. What Graft does act on (postgres sources
// and their customization, tables, relationships, computed fields,
// functions, permissions, inherited roles, event triggers, query
// collections, the allow list, API limits, actions and custom types) is not
// listed. Function permissions
// are not listed either: like Hasura with its default
// HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS, Graft exposes a function to the
// roles that may select from its table.
func NotServed(md *Metadata) []Warning {
	var ns notServed
	ns.named(md.CronTriggers, "name", "cron_trigger", "", func(n string, _ rawObject) string {
		return "Graft does not run scheduled triggers yet; " + n + " never calls its webhook"
	})
	ns.named(md.RestEndpoints, "name", "rest_endpoint", "", func(_ string, o rawObject) string {
		return "Graft does not serve REST endpoints yet; /api/rest/" + o.str("url") + " answers 404"
	})
	if parts := setParts(md.MetricsConfig, ""); len(parts) > 0 {
		ns.add("metrics_config", "metrics_config", "Graft has no Hasura metrics; metrics_config ("+strings.Join(parts, ", ")+") changes nothing")
	}
	if parts := setParts(md.Network, ""); len(parts) > 0 {
		ns.add("network", "network", "Graft does not apply network settings yet ("+strings.Join(parts, ", ")+"); its webhooks use the default TLS checks")
	}
	ns.backendConfigs(md.BackendConfigs)
	ns.introspection(md.GraphQLSchemaIntrospection)
	if isSet(md.OpenTelemetry) {
		// Traces are exported (package tracing); other signals are not.
		var o struct {
			Status    string
			DataTypes []string `json:"data_types"`
		}
		if json.Unmarshal(md.OpenTelemetry, &o) == nil && o.Status == "enabled" &&
			(slices.Contains(o.DataTypes, "metrics") || slices.Contains(o.DataTypes, "logs")) {
			ns.add("open_telemetry", "all", "Graft exports OpenTelemetry traces only, not metrics or logs")
		}
	}
	for i := range md.Sources {
		src := &md.Sources[i]
		if src.Kind != "" && src.Kind != "postgres" {
			ns.add("source", src.Name, "Graft serves PostgreSQL sources only; the tables and functions of source "+
				src.Name+" (kind "+src.Kind+") are not in the GraphQL schema")
			continue
		}
		for j := range src.Tables {
			ns.table(&src.Tables[j], src.Name)
		}
	}
	return ns.out
}

// notServed collects warnings.
type notServed struct{ out []Warning }

// add names the object "<type> <name>" as Hasura's moiName does, which gives
// singletons a doubled name ("custom_types custom_types", as in Hasura).
func (ns *notServed) add(typ, name, reason string) {
	ns.out = append(ns.out, Warning{Type: typ, Name: typ + " " + name, Code: NotServedCode, Message: "stored, not served: " + reason})
}

// rawObject is one metadata object whose fields are read as needed.
type rawObject map[string]json.RawMessage

func (o rawObject) str(key string) string {
	var s string
	_ = json.Unmarshal(o[key], &s)
	return s
}

// isSet reports whether a raw part holds anything: absent, null, [], {}, ""
// and false do not count, as they change nothing in Hasura either.
func isSet(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "[]", "{}", `""`, "false":
		return false
	}
	return true
}

// named adds one warning per object of a list, named by its key field
// (plus suffix, which places it, e.g. " in table t in source default"). A
// list Graft cannot read is still reported, once, under its type.
func (ns *notServed) named(raw json.RawMessage, key, typ, suffix string, reason func(string, rawObject) string) {
	if !isSet(raw) {
		return
	}
	var list []rawObject
	if err := json.Unmarshal(raw, &list); err != nil {
		ns.add(typ, typ+suffix, reason(typ, rawObject{}))
		return
	}
	for _, o := range list {
		n := o.str(key)
		if n == "" {
			n = "(unnamed)"
		}
		ns.add(typ, n+suffix, reason(n, o))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setParts lists the fields of an object that are set, in key order (so
// custom_types with only empty lists has none); off names a field that
// switches the whole object off when true. Anything but an object counts as
// one part, named "value".
func setParts(raw json.RawMessage, off string) []string {
	if !isSet(raw) {
		return nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return []string{"value"}
	}
	var disabled bool
	if off != "" && json.Unmarshal(o[off], &disabled) == nil && disabled {
		return nil
	}
	var parts []string
	for _, k := range sortedKeys(o) {
		if k != off && isSet(o[k]) {
			parts = append(parts, k)
		}
	}
	return parts
}

// backendConfigs reports data connector agents (Graft serves PostgreSQL
// only) and any other backend's settings.
func (ns *notServed) backendConfigs(raw json.RawMessage) {
	var o map[string]json.RawMessage
	if !isSet(raw) {
		return
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		ns.add("backend_configs", "backend_configs", "Graft serves PostgreSQL only; backend_configs are not used")
		return
	}
	for _, backend := range sortedKeys(o) {
		var agents map[string]json.RawMessage
		if backend != "dataconnector" || json.Unmarshal(o[backend], &agents) != nil {
			if isSet(o[backend]) {
				ns.add("backend_configs", backend, "Graft serves PostgreSQL only; the "+backend+" settings are not used")
			}
			continue
		}
		for _, a := range sortedKeys(agents) {
			ns.add("data_connector_agent", a, "Graft serves PostgreSQL only; the data connector agent "+a+" is not used")
		}
	}
}

// introspection reports graphql_schema_introspection.disabled_for_roles:
// those roles can still introspect Graft's schema.
func (ns *notServed) introspection(raw json.RawMessage) {
	if !isSet(raw) {
		return
	}
	var o struct {
		DisabledForRoles []string `json:"disabled_for_roles"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || len(o.DisabledForRoles) > 0 {
		ns.add("graphql_schema_introspection", "graphql_schema_introspection",
			"Graft does not disable introspection yet; roles "+strings.Join(o.DisabledForRoles, ", ")+" can still introspect the schema")
	}
}

// table reports the parts of a table's event
// triggers that delivery does not apply, and validate_input webhooks of
// its mutation permissions.
func (ns *notServed) table(tm *TableMeta, source string) {
	in := " in table " + tm.Table.String() + " in source " + source
	// Every postgres source's event triggers fire from its own WAL
	// (proxy/walsources.go); a source whose database cannot replicate is
	// reported by pg_create_event_trigger (notserved_wal.go), the server's
	// log and /healthz?detail, which know why.
	var triggers []rawObject
	if isSet(tm.EventTriggers) && json.Unmarshal(tm.EventTriggers, &triggers) == nil {
		for _, t := range triggers {
			if reason := ignoredTriggerParts(t); reason != "" {
				ns.add("event_trigger", t.str("name")+in, reason)
			}
		}
	}
	for _, p := range []struct {
		op    string
		perms []Permission
	}{{"insert", tm.InsertPermissions}, {"update", tm.UpdatePermissions}, {"delete", tm.DeletePermissions}} {
		for _, perm := range p.perms {
			var body struct {
				ValidateInput json.RawMessage `json:"validate_input"`
			}
			if json.Unmarshal(perm.Permission, &body) == nil && isSet(body.ValidateInput) {
				ns.add(p.op+"_permission", perm.Role+in, fmt.Sprintf(
					"Graft does not call validate_input webhooks yet; %ss by role %s are not validated by the webhook", p.op, perm.Role))
			}
		}
	}
}

// ignoredTriggerParts says which parts of an event trigger Graft keeps but
// does not apply, or "" when it applies all of them (delivery.ParseTriggers
// lists the transforms too, for its own warning when it loads the trigger).
func ignoredTriggerParts(t rawObject) string {
	var transforms, clauses []string
	for _, k := range []string{"request_transform", "response_transform"} {
		if isSet(t[k]) {
			transforms = append(transforms, k)
		}
	}
	if len(transforms) > 0 {
		clauses = append(clauses, "Graft does not apply "+strings.Join(transforms, ", ")+
			" yet; the webhook gets Hasura's untransformed payload and its response is logged as received")
	}
	var cleanup struct {
		Paused bool `json:"paused"`
	}
	if isSet(t["cleanup_config"]) && (json.Unmarshal(t["cleanup_config"], &cleanup) != nil || !cleanup.Paused) {
		clauses = append(clauses, "Graft does not apply cleanup_config yet; event logs follow Graft's own retention")
	}
	return strings.Join(clauses, "; ")
}

// successWith is Hasura's mkSuccessResponseWithWarnings: {"message":
// "success"}, with "warnings" only when there are some, so that a request
// without any answers byte for byte as before.
func successWith(ws []Warning) any {
	if len(ws) == 0 {
		return success
	}
	return map[string]any{"message": "success", "warnings": ws}
}

// withWarnings adds "warnings" to a response object when there are some, as
// Hasura's formatInconsistentObjs does for replace_metadata version 2.
func withWarnings(res map[string]any, ws []Warning) map[string]any {
	if len(ws) > 0 {
		res["warnings"] = ws
	}
	return res
}

// notServed returns the warnings about one object of the metadata being
// edited, for the response of the operation that added it.
func (w *work) notServed(typ, name string) []Warning {
	var out []Warning
	for _, ns := range NotServed(w.md) {
		if ns.Type == typ && ns.Name == name {
			out = append(out, ns)
		}
	}
	return out
}
