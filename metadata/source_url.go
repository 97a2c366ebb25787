package metadata

import "fmt"

// SourceDatabaseURL returns the connection string of a Postgres source, for
// tools that connect on their own (the pg_dump API): the server's own
// database for "default", else the source's connection_info.database_url
// (a string or {from_env}).
func (m *Manager) SourceDatabaseURL(name string) (string, error) {
	if name == "" || name == "default" {
		return m.pool.Config().ConnString(), nil
	}
	snap := m.Snapshot()
	if snap == nil || snap.Metadata == nil || snap.Metadata.Source(name) == nil {
		return "", &APIError{Status: 400, Code: "not-exists", Path: "$", Message: fmt.Sprintf("source with name %q does not exist", name)}
	}
	src := snap.Metadata.Source(name)
	if src.Kind != "" && src.Kind != "postgres" && src.Kind != "citus" && src.Kind != "cockroach" {
		return "", &APIError{Status: 400, Code: "not-supported", Path: "$", Message: fmt.Sprintf("source %q is of kind %s, not postgres", name, src.Kind)}
	}
	return sourceURL(src.Configuration)
}
