// Package conformance runs the Hasura GraphQL Engine v2 conformance corpus
// (shared/conformance/hasura, described by its FORMAT.md) against graft.
//
// Run it with a dev stack up:
//
//	set -a; . .graft/dev/env; set +a
//	go test -count=1 -v -run TestConformance ./tests/conformance/
//
// See TestConformance for the environment variables. Without the corpus the
// suite is skipped with a `conformance: SKIPPED: ...` line, except under
// CI=true, where that is a failure.
//
// Every MANIFEST entry (one Python test class; several may share a dir)
// gets fresh databases and a fresh `graft serve` process built from
// ./cmd/graft, shared by its cases; entries whose setup runs around every
// case (setup_scope per_case, fixture B) get them per case instead, since
// their teardowns do not undo everything. After each database reset
// queries/clear_db.yaml goes to /v2/query. Around each case run, in order:
// per-case setup files and inline bodies, pre_files, pre_requests and
// inline_pre_requests, the steps, inline_post_requests, per-case teardown
// (FORMAT.md §3 and §11). Two case shapes are not step lists: a bare admin
// body (posted to its admin_body endpoint, wanting its status and code) and
// the Python-driven inconsistent-objects test (inconsistent.go).
//
// The contract assumed from the binary:
//
//   - `graft serve` serves HTTP on HASURA_GRAPHQL_SERVER_HOST:HASURA_GRAPHQL_SERVER_PORT
//     and stops cleanly on SIGTERM;
//   - HASURA_GRAPHQL_DATABASE_URL is the default source, HASURA_GRAPHQL_ADMIN_SECRET
//     the admin secret, HASURA_GRAPHQL_PG_SOURCE_URL_1 a second database that
//     metadata can name with {"from_env": ...}, HASURA_GRAPHQL_REDIS_URL optional,
//     HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup keeps the log quiet;
//     ACTION_WEBHOOK_HANDLER, REMOTE_SCHEMAS_WEBHOOK_DOMAIN and GRAPHQL_SERVICE_1
//     name the helper servers of HELPERS.md (helpers.go), and
//     HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS=true comes with the
//     entries that require it;
//   - GET /healthz answers 200 once requests can be served;
//   - POST /v1/query, /v1/metadata, /v2/query, /v1/graphql and
//     /v1alpha1/graphql take JSON bodies; a request without the admin secret,
//     or with a wrong one, is refused (200 with an access-denied error on
//     /v1/graphql, 401 elsewhere);
//   - GET /v1/graphql and /v1alpha1/graphql upgrade to a WebSocket speaking
//     Apollo's subscriptions-transport-ws (sub-protocol graphql-ws).
//
// The helper servers are not started by the runner yet: the cases that need
// them (MANIFEST `helpers`, under queries/actions and queries/remote_schemas)
// run and fail fast, and a run says when nothing listens at their addresses.
//
// Each case runs over every transport its MANIFEST entry lists (FORMAT.md §6):
// http; websocket (connection_init with the headers, start, one data frame,
// complete); subscription (the query rewritten to a subscription, the first
// data frame, stop). The socket transports apply only to cases whose steps
// all have a response and a GraphQL url. A case passes only if it passes
// over each of its transports; per-case setup and teardown run around each
// transport's run, as the harness's parametrized tests do.
//
// A full run prints `conformance: <area> N/M` per feature area, one line
// per transport (steps passed), the total outside queries/actions and
// queries/remote_schemas, and ends with `conformance: N passed, M failed`
// (cases); details, failures grouped per transport and the slowest cases go
// to .graft/conformance-report.txt and graft's logs to
// .graft/conformance-logs/. It fails only when fewer cases pass than
// tests/conformance/floor.txt says.
package conformance
