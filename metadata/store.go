package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The catalog table is Hasura v2's own, so a database moved between Hasura
// and Graft keeps its metadata.
const catalogDDL = `
CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
  id INTEGER PRIMARY KEY,
  metadata JSON NOT NULL,
  resource_version INTEGER NOT NULL DEFAULT 1 UNIQUE
);`

// ensureCatalog creates hdb_catalog when missing. An advisory lock keeps
// concurrent first starts of several replicas from racing on CREATE.
func ensureCatalog(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(8231757042)`); err != nil {
		return fmt.Errorf("lock catalog: %w", err)
	}
	if _, err := tx.Exec(ctx, catalogDDL); err != nil {
		return fmt.Errorf("create hdb_catalog: %w", err)
	}
	return nil
}

// loadForUpdate reads the stored metadata and locks its row until the
// transaction ends, so metadata changes from several processes serialize.
func loadForUpdate(ctx context.Context, tx pgx.Tx) (*Metadata, int64, error) {
	var raw []byte
	var version int64
	err := tx.QueryRow(ctx, `SELECT metadata::text, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1 FOR UPDATE`).
		Scan(&raw, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return Empty(), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load metadata: %w", err)
	}
	md, err := ParseMetadata(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("stored metadata is invalid: %w", err)
	}
	return md, version, nil
}

// save writes metadata with resource_version one higher than before.
func save(ctx context.Context, tx pgx.Tx, md *Metadata, prev int64) (int64, error) {
	b, err := json.Marshal(md)
	if err != nil {
		return 0, fmt.Errorf("encode metadata: %w", err)
	}
	next := prev + 1
	_, err = tx.Exec(ctx, `
INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version) VALUES (1, $1::json, $2)
ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, resource_version = EXCLUDED.resource_version`, string(b), next)
	if err != nil {
		return 0, fmt.Errorf("store metadata: %w", err)
	}
	return next, nil
}

// ParseMetadata reads metadata in Hasura's v3 export form, or the older v1/v2
// form whose tables and functions sit at the top level.
func ParseMetadata(raw []byte) (*Metadata, error) {
	var probe struct {
		Version   int             `json:"version"`
		Tables    json.RawMessage `json:"tables"`
		Functions json.RawMessage `json:"functions"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	var md Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, err
	}
	if probe.Version < 3 && (len(probe.Tables) > 0 || len(probe.Functions) > 0 || len(md.Sources) == 0) {
		src := DefaultSource()
		if len(probe.Tables) > 0 {
			if err := json.Unmarshal(probe.Tables, &src.Tables); err != nil {
				return nil, fmt.Errorf("tables: %w", err)
			}
		}
		if len(probe.Functions) > 0 {
			if err := parseLegacyFunctions(probe.Functions, &src.Functions); err != nil {
				return nil, fmt.Errorf("functions: %w", err)
			}
		}
		md.Sources = []Source{src}
	}
	md.Version = 3
	for i := range md.Sources {
		if md.Sources[i].Tables == nil {
			md.Sources[i].Tables = []TableMeta{}
		}
	}
	return &md, nil
}

// parseLegacyFunctions accepts v1 function entries ({schema,name}) and v2 ones ({function, configuration}).
func parseLegacyFunctions(raw json.RawMessage, out *[]FunctionMeta) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return err
	}
	for _, it := range items {
		var fm FunctionMeta
		if err := json.Unmarshal(it, &fm); err == nil && fm.Function.Name != "" {
			*out = append(*out, fm)
			continue
		}
		var q QualifiedName
		if err := json.Unmarshal(it, &q); err != nil {
			return err
		}
		*out = append(*out, FunctionMeta{Function: q})
	}
	return nil
}
