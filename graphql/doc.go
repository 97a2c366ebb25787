// Package graphql turns a GraphQL request into one SQL statement per root
// field: it builds each role's schema from the metadata snapshot (graphql-go
// types, used for validation and introspection), plans the operation,
// generates SQL that builds the JSON response inside Postgres, and executes it.
// Parsed operations are cached per role and query text, and a query's SQL
// per variable shape (sqlcache.go): a repeated request only re-binds its
// arguments.
package graphql
