// Package metadata owns Graft's Hasura-compatible metadata: the JSON model, its
// storage in hdb_catalog, catalog introspection, the resolved immutable
// snapshot that requests read, and the /v1/metadata and /v1/query admin API.
package metadata
