// The console's GraphiQL page: queries and mutations over HTTP, subscriptions
// over graphql-transport-ws (graphql-ws's client), both with the credentials
// of the console's auth bar (window.graftConsole, from ../static/common.js)
// plus whatever the GraphiQL headers pane holds (persisted in localStorage).
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { getOperationAST, parse } from 'graphql';
import 'graphiql/style.css';

// Monaco asks for a worker per language; each is a bundle next to this one.
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(new URL(`./${name}.worker.js`, import.meta.url), { type: 'module' });
  },
};

// Relative to the page, so that a console behind a path prefix still finds
// the API next to it.
const httpURL = new URL('../v1/graphql', location.href).href;
const wsURL = httpURL.replace(/^http/, 'ws');

// One WebSocket for every subscription with the same headers: a new one
// only when the headers change, as Graft reads them at connection_init.
let ws = null;
let wsHeaders = '';
function wsClient(headers) {
  const key = JSON.stringify(headers);
  if (ws === null || key !== wsHeaders) {
    if (ws !== null) ws.dispose();
    ws = createClient({ url: wsURL, connectionParams: { headers }, lazy: true, retryAttempts: 0 });
    wsHeaders = key;
  }
  return ws;
}

function isSubscription(params, documentAST) {
  try {
    const op = getOperationAST(documentAST ?? parse(params.query), params.operationName || undefined);
    return op?.operation === 'subscription';
  } catch {
    return false; // not parseable: let the server say why
  }
}

// A new fetcher per credentials change: GraphiQL introspects again when its
// fetcher prop changes, so the schema is the one the new role sees.
function makeFetcher() {
  return async (params, opts = {}) => {
    const headers = { ...window.graftConsole.authHeaders(), ...(opts.headers ?? {}) };
    if (isSubscription(params, opts.documentAST)) {
      return wsClient(headers).iterate(params);
    }
    const res = await fetch(httpURL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(params),
    });
    return res.json();
  };
}

const defaultQuery = `# Graft console: GraphiQL on this server's /v1/graphql.
#
# Enter the admin secret (or paste a JWT) in the bar above; more headers,
# e.g. {"X-Hasura-Role": "user"}, go in the Headers pane below.
# Subscriptions run over WebSocket (graphql-transport-ws).

query {
  __typename
}
`;

// A link can open an operation: /console/?query=...&variables=... (as
// GraphiQL's own examples do), in a tab of its own.
const linked = new URLSearchParams(location.search);

function App() {
  const [fetcher, setFetcher] = useState(makeFetcher);
  useEffect(() => window.graftConsole.onAuthChange(() => setFetcher(makeFetcher)), []);
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={defaultQuery}
      initialQuery={linked.get('query') ?? undefined}
      initialVariables={linked.get('variables') ?? undefined}
      shouldPersistHeaders
    />
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
