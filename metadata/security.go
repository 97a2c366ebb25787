package metadata

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The metadata parts the allow list and API limits read. They stay raw JSON
// in Metadata (so that replace_metadata then export_metadata round-trips
// whatever Hasura wrote); these types are how Graft reads and edits them.

// QueryCollection is a named list of GraphQL queries (query_collections).
type QueryCollection struct {
	Name       string               `json:"name"`
	Definition CollectionDefinition `json:"definition"`
	Comment    *string              `json:"comment,omitempty"`
}

// CollectionDefinition holds a collection's queries.
type CollectionDefinition struct {
	Queries []CollectionQuery `json:"queries"`
}

// CollectionQuery is one named query of a collection.
type CollectionQuery struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// AllowlistEntry puts a collection in the allow list, for every role
// (global) or for some roles.
type AllowlistEntry struct {
	Collection string         `json:"collection"`
	Scope      AllowlistScope `json:"scope"`
}

// AllowlistScope is {"global": true} or {"global": false, "roles": [...]}.
type AllowlistScope struct {
	Global bool     `json:"global"`
	Roles  []string `json:"roles,omitempty"`
}

// UnmarshalJSON applies Hasura's rules: a missing scope is global (the
// caller leaves the zero value only when "scope" is absent), roles only
// and always when global is false, and no role twice.
func (s *AllowlistScope) UnmarshalJSON(b []byte) error {
	var raw struct {
		Global *bool     `json:"global"`
		Roles  *[]string `json:"roles"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("scope: %w", err)
	}
	if raw.Global == nil {
		return fmt.Errorf(`scope: key "global" not found`)
	}
	if *raw.Global {
		if raw.Roles != nil {
			return fmt.Errorf("roles are not allowed when global is true")
		}
		*s = AllowlistScope{Global: true}
		return nil
	}
	if raw.Roles == nil || len(*raw.Roles) == 0 {
		return fmt.Errorf(`scope: key "roles" must be a non-empty list when global is false`)
	}
	seen := map[string]bool{}
	for _, r := range *raw.Roles {
		if seen[r] {
			return fmt.Errorf("duplicate roles are not allowed")
		}
		seen[r] = true
	}
	*s = AllowlistScope{Roles: *raw.Roles}
	return nil
}

// UnmarshalJSON defaults a missing scope to global, as Hasura.
func (e *AllowlistEntry) UnmarshalJSON(b []byte) error {
	var raw struct {
		Collection *string         `json:"collection"`
		Scope      json.RawMessage `json:"scope"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Collection == nil {
		return fmt.Errorf(`key "collection" not found`)
	}
	*e = AllowlistEntry{Collection: *raw.Collection, Scope: AllowlistScope{Global: true}}
	if len(raw.Scope) > 0 && string(raw.Scope) != "null" {
		return json.Unmarshal(raw.Scope, &e.Scope)
	}
	return nil
}

// Collections decodes query_collections (none when absent).
func (m *Metadata) Collections() ([]QueryCollection, error) {
	var out []QueryCollection
	if !isSet(m.QueryCollections) {
		return nil, nil
	}
	if err := json.Unmarshal(m.QueryCollections, &out); err != nil {
		return nil, fmt.Errorf("query_collections: %w", err)
	}
	return out, nil
}

// AllowlistEntries decodes allowlist (none when absent).
func (m *Metadata) AllowlistEntries() ([]AllowlistEntry, error) {
	var out []AllowlistEntry
	if !isSet(m.Allowlist) {
		return nil, nil
	}
	if err := json.Unmarshal(m.Allowlist, &out); err != nil {
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	return out, nil
}

// APILimits is api_limits, as set_api_limits takes it.
type APILimits struct {
	Disabled   bool                    `json:"disabled"`
	DepthLimit *Limit[int]             `json:"depth_limit,omitempty"`
	NodeLimit  *Limit[int]             `json:"node_limit,omitempty"`
	TimeLimit  *Limit[float64]         `json:"time_limit,omitempty"`
	BatchLimit *Limit[int]             `json:"batch_limit,omitempty"`
	RateLimit  *Limit[RateLimitConfig] `json:"rate_limit,omitempty"`
}

// UnmarshalJSON names the limit a bad value belongs to.
func (l *APILimits) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var out APILimits
	for _, f := range []struct {
		key string
		dst any
	}{{"disabled", &out.Disabled}, {"depth_limit", &out.DepthLimit}, {"node_limit", &out.NodeLimit},
		{"time_limit", &out.TimeLimit}, {"batch_limit", &out.BatchLimit}, {"rate_limit", &out.RateLimit}} {
		if v, ok := raw[f.key]; ok {
			if err := json.Unmarshal(v, f.dst); err != nil {
				return fmt.Errorf("%s: %w", f.key, err)
			}
		}
	}
	*l = out
	return nil
}

// Limit is a global value and per-role overrides.
type Limit[T any] struct {
	Global  T            `json:"global"`
	PerRole map[string]T `json:"per_role"`
}

// For is the value that applies to role.
func (l *Limit[T]) For(role string) T {
	if v, ok := l.PerRole[role]; ok {
		return v
	}
	return l.Global
}

// UnmarshalJSON requires "global", as Hasura.
func (l *Limit[T]) UnmarshalJSON(b []byte) error {
	var raw struct {
		Global  *T           `json:"global"`
		PerRole map[string]T `json:"per_role"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Global == nil {
		return fmt.Errorf(`key "global" not found`)
	}
	if raw.PerRole == nil {
		raw.PerRole = map[string]T{}
	}
	*l = Limit[T]{Global: *raw.Global, PerRole: raw.PerRole}
	return nil
}

// RateLimitConfig is max_reqs_per_min per role and unique_params: "IP" or
// a list of session variables (none: the role alone is the key).
type RateLimitConfig struct {
	MaxReqsPerMin int          `json:"max_reqs_per_min"`
	UniqueParams  UniqueParams `json:"unique_params"`
}

// UniqueParams is rate_limit's unique_params.
type UniqueParams struct {
	IP       bool
	Sessions []string // lower-case x-hasura-* names
}

const uniqueParamsError = "Not a valid value. Should be either: 'IP' or a list of Hasura session variables"

func (u *UniqueParams) UnmarshalJSON(b []byte) error {
	*u = UniqueParams{}
	if string(b) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if strings.ToLower(s) != "ip" {
			return fmt.Errorf(uniqueParamsError)
		}
		u.IP = true
		return nil
	}
	var list []string
	if json.Unmarshal(b, &list) != nil {
		return fmt.Errorf(uniqueParamsError)
	}
	for _, v := range list {
		v = strings.ToLower(v)
		if !strings.HasPrefix(v, "x-hasura-") || v == "x-hasura-role" {
			return fmt.Errorf(uniqueParamsError)
		}
		u.Sessions = append(u.Sessions, v)
	}
	return nil
}

func (u UniqueParams) MarshalJSON() ([]byte, error) {
	switch {
	case u.IP:
		return []byte(`"IP"`), nil
	case u.Sessions == nil:
		return []byte("null"), nil
	}
	return json.Marshal(u.Sessions)
}

// Limits decodes api_limits; nil when absent or empty.
func (m *Metadata) Limits() (*APILimits, error) {
	if !isSet(m.APILimits) {
		return nil, nil
	}
	var l APILimits
	if err := json.Unmarshal(m.APILimits, &l); err != nil {
		return nil, fmt.Errorf("api_limits: %w", err)
	}
	return &l, nil
}
