// Package conformance runs the Hasura GraphQL Engine v2 conformance corpus
// (shared/conformance/hasura, described by its FORMAT.md) against graft.
//
// Run it with a dev stack up:
//
//	set -a; . .graft/dev/env; set +a
//	go test -count=1 -v -run TestConformance ./tests/conformance/
//
// See TestConformance for the environment variables. Every directory of the
// corpus gets fresh databases and a fresh `graft serve` process built from
// ./cmd/graft. The contract assumed from the binary:
//
//   - `graft serve` serves HTTP on HASURA_GRAPHQL_SERVER_HOST:HASURA_GRAPHQL_SERVER_PORT
//     and stops cleanly on SIGTERM;
//   - HASURA_GRAPHQL_DATABASE_URL is the default source, HASURA_GRAPHQL_ADMIN_SECRET
//     the admin secret, HASURA_GRAPHQL_PG_SOURCE_URL_1 a second database that
//     metadata can name with {"from_env": ...}, HASURA_GRAPHQL_REDIS_URL optional,
//     HASURA_GRAPHQL_ENABLED_LOG_TYPES=startup keeps the log quiet;
//   - GET /healthz answers 200 once requests can be served;
//   - POST /v1/query, /v1/metadata, /v2/query, /v1/graphql and
//     /v1alpha1/graphql take JSON bodies; a request without the admin secret,
//     or with a wrong one, is refused (200 with an access-denied error on
//     /v1/graphql, 401 elsewhere);
//   - GET /v1/graphql and /v1alpha1/graphql upgrade to a WebSocket speaking
//     Apollo's subscriptions-transport-ws (sub-protocol graphql-ws).
//
// Each case runs over every transport its MANIFEST entry lists (FORMAT.md §6):
// http; websocket (connection_init with the headers, start, one data frame,
// complete); subscription (the query rewritten to a subscription, the first
// data frame, stop). The socket transports apply only to cases whose steps
// all have a response and a GraphQL url. A case passes only if it passes
// over each of its transports; per-case setup and teardown run around each
// transport's run, as the harness's parametrized tests do.
//
// A full run prints one line per feature area, one per transport (steps
// passed over it) and ends with `conformance: N passed, M failed` (cases);
// details, failures grouped per transport, go to .graft/conformance-report.txt
// and graft's logs to .graft/conformance-logs/. It fails only when fewer cases
// pass than tests/conformance/floor.txt says.
package conformance
