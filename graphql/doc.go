// Package graphql turns a GraphQL request into one SQL statement per root
// field: it builds each role's schema from the metadata snapshot (graphql-go
// types, used for validation and introspection), plans the operation,
// generates SQL that builds the JSON response inside Postgres, and executes it.
// Parsed operations are cached per role and query text, and a query's SQL
// per variable shape (sqlcache.go): a repeated request only re-binds its
// arguments. Root fields served outside Postgres (actions, remote schemas)
// come from RootSources (rootsource*.go): their fields join each role's
// schema, and a request selecting one runs every root field where it
// belongs, query fields concurrently, the answer in request order. Tables
// of every metadata source join the schema, named with their source's
// customization (schema_sources.go), and each root field runs on its
// source's pool (sources_run.go).
package graphql
