package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// stateStore is the server's cli_state, in the format Hasura's CLI keeps in
// catalog state, so a project migrated by one CLI continues with the other:
//
//	{"migrations": {"<database>": {"<version>": <dirty>}},
//	 "settings": {"migration_mode": "true"}, "isStateCopyCompleted": true}
//
// Keys other than migrations are kept as the server gave them.
type stateStore struct {
	c *Client
	// atomic: the server takes set_catalog_state inside a /v2/query bulk
	// (Graft does; Hasura does not), so a migration and its version are
	// recorded in one transaction.
	atomic     bool
	raw        map[string]json.RawMessage
	migrations map[string]map[string]bool
}

type catalogState struct {
	ID       string                     `json:"id"`
	CLIState map[string]json.RawMessage `json:"cli_state"`
}

// loadState reads cli_state. It asks /v2/query first: an answer there means
// the server can record versions atomically with the migration's SQL.
func loadState(ctx context.Context, c *Client) (*stateStore, error) {
	var cs catalogState
	s := &stateStore{c: c, atomic: true}
	err := c.Query(ctx, op("get_catalog_state", nil), &cs)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == 400 {
		s.atomic = false
		err = c.Metadata(ctx, op("get_catalog_state", nil), &cs)
	}
	if err != nil {
		return nil, fmt.Errorf("read migration state: %w", err)
	}
	s.raw = cs.CLIState
	if s.raw == nil {
		s.raw = map[string]json.RawMessage{}
	}
	s.migrations = map[string]map[string]bool{}
	if m, ok := s.raw["migrations"]; ok && string(m) != "null" {
		if err := json.Unmarshal(m, &s.migrations); err != nil {
			return nil, fmt.Errorf("server's cli_state.migrations is not {database: {version: dirty}}: %w", err)
		}
	}
	return s, nil
}

// Applied returns the versions recorded for database, with their dirty flag.
func (s *stateStore) Applied(database string) (map[int64]bool, error) {
	out := map[int64]bool{}
	for v, dirty := range s.migrations[database] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("server's cli_state has a bad migration version %q: %w", v, err)
		}
		out[n] = dirty
	}
	return out, nil
}

// AppliedSorted returns the applied versions in ascending order.
func (s *stateStore) AppliedSorted(database string) ([]int64, error) {
	m, err := s.Applied(database)
	if err != nil {
		return nil, err
	}
	return sortedVersions(m), nil
}

// with returns the whole cli_state after marking versions applied (or not)
// on database; the store itself changes only once the server took it (commit).
func (s *stateStore) with(database string, applied bool, versions ...int64) map[string]any {
	next := map[string]map[string]bool{}
	for db, vs := range s.migrations {
		next[db] = map[string]bool{}
		for v, d := range vs {
			next[db][v] = d
		}
	}
	if next[database] == nil {
		next[database] = map[string]bool{}
	}
	for _, v := range versions {
		key := strconv.FormatInt(v, 10)
		if applied {
			next[database][key] = false
		} else {
			delete(next[database], key)
		}
	}
	out := map[string]any{}
	for k, v := range s.raw {
		out[k] = v
	}
	out["migrations"] = next
	if _, ok := out["settings"]; !ok {
		out["settings"] = map[string]string{"migration_mode": "true"}
	}
	// Hasura's CLI copies state from its pre-v3 tables until this is set.
	out["isStateCopyCompleted"] = true
	return out
}

// setOp is the set_catalog_state request storing state.
func setOp(state map[string]any) map[string]any {
	return op("set_catalog_state", map[string]any{"type": "cli", "state": state})
}

// commit records state as the store's current one after the server stored it.
func (s *stateStore) commit(state map[string]any) {
	s.migrations = state["migrations"].(map[string]map[string]bool)
}

// save stores state on the server through /v1/metadata.
func (s *stateStore) save(ctx context.Context, state map[string]any) error {
	if err := s.c.Metadata(ctx, setOp(state), nil); err != nil {
		return fmt.Errorf("record migration state: %w", err)
	}
	s.commit(state)
	return nil
}
