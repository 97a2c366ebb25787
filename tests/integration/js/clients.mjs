// Subscribes to Graft with three client libraries and reports every result
// as one JSON line on stdout: {"client": name, "data": ...} or
// {"client": name, "error": ...}. Usage: node clients.mjs <ws-url> <admin-secret>
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import apollo from '@apollo/client/core/core.cjs';
import apolloWs from '@apollo/client/link/ws/ws.cjs';

const [url, secret] = process.argv.slice(2);
const admin = { 'X-Hasura-Admin-Secret': secret };
const member = { ...admin, 'X-Hasura-Role': 'member', 'X-Hasura-Room': 'a' };
const query = 'subscription { msg(order_by: {id: asc}) { body } }';
const report = (client, msg) => process.stdout.write(JSON.stringify({ client, ...msg }) + '\n');

// graphql-ws (protocol graphql-transport-ws), as the member role.
const gqlws = createClient({ url, webSocketImpl: WebSocket, connectionParams: { headers: member }, retryAttempts: 0 });
gqlws.subscribe({ query }, {
  next: (r) => report('graphql-ws', { data: r.data, errors: r.errors }),
  error: (e) => report('graphql-ws', { error: String(e?.message ?? e) }),
  complete: () => {},
});

// subscriptions-transport-ws (protocol graphql-ws), Hasura's historical client.
const legacy = new SubscriptionClient(url, { connectionParams: { headers: admin }, reconnect: false }, WebSocket);
legacy.request({ query }).subscribe({
  next: (r) => report('subscriptions-transport-ws', { data: r.data, errors: r.errors }),
  error: (e) => report('subscriptions-transport-ws', { error: String(e?.message ?? e) }),
});

// @apollo/client with its WebSocketLink.
const link = new apolloWs.WebSocketLink(new SubscriptionClient(url, { connectionParams: { headers: admin }, reconnect: false }, WebSocket));
const client = new apollo.ApolloClient({ link, cache: new apollo.InMemoryCache() });
client.subscribe({ query: apollo.gql(query), fetchPolicy: 'no-cache' }).subscribe({
  next: (r) => report('@apollo/client', { data: r.data, errors: r.errors }),
  error: (e) => report('@apollo/client', { error: String(e?.message ?? e) }),
});

process.stdin.on('end', () => process.exit(0)); // the test closes stdin to stop us
process.stdin.resume();
