// Shared by every console page: the header (navigation and the credentials
// bar), the metadata API client and small DOM helpers. The credentials stay
// in this browser's localStorage and go only to this server's API.

const authKey = 'graft-console-auth';
const listeners = new Set();

// auth is {kind: "admin" | "jwt", value} as saved by the bar.
function auth() {
  try {
    const a = JSON.parse(localStorage.getItem(authKey) || '{}');
    return { kind: a.kind === 'jwt' ? 'jwt' : 'admin', value: typeof a.value === 'string' ? a.value : '' };
  } catch {
    return { kind: 'admin', value: '' };
  }
}

// authHeaders are the request headers of the saved credentials.
export function authHeaders() {
  const { kind, value } = auth();
  if (!value) return {};
  if (kind === 'jwt') return { Authorization: 'Bearer ' + value.replace(/^Bearer\s+/i, '') };
  return { 'X-Hasura-Admin-Secret': value };
}

// onAuthChange calls fn after the credentials change; it returns the undo.
export function onAuthChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// The API lives next to /console, wherever that is mounted.
const apiBase = new URL('../', location.href);

// metadata posts one /v1/metadata operation and returns its JSON; an API
// error is thrown with Hasura's code and message.
export async function metadata(type, args = {}) {
  const res = await fetch(new URL('v1/metadata', apiBase), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ type, args }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`HTTP ${res.status}: the answer is not JSON`);
  }
  if (!res.ok) throw new Error(`${body.code || 'error'}: ${body.error || JSON.stringify(body)}`);
  return body;
}

// el builds an element: attrs are properties (on*, className, ...) or, for
// names with a dash, attributes; children are nodes or text (never HTML).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.includes('-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// json shows a value as indented JSON in a <pre>.
export function json(v) {
  return el('pre', { className: 'json' }, JSON.stringify(v, null, 2));
}

// message replaces a container's content with a notice (kind: error, empty, info).
export function message(container, kind, text) {
  container.replaceChildren(el('p', { className: 'msg ' + kind }, text));
}

// when formats an API time for people, keeping the exact value as a tooltip.
export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return el('time', { dateTime: t, title: t }, isNaN(d) ? t : d.toLocaleString());
}

const pages = [
  ['index.html', 'GraphiQL'],
  ['tables.html', 'Tables'],
  ['events.html', 'Events'],
  ['inconsistent.html', 'Inconsistent metadata'],
];

// header draws the page header: title, navigation and the credentials bar.
function header() {
  const here = location.pathname.split('/').pop() || 'index.html';
  const a = auth();
  const kind = el('select', { id: 'auth-kind', title: 'Credentials' },
    el('option', { value: 'admin', selected: a.kind === 'admin' }, 'Admin secret'),
    el('option', { value: 'jwt', selected: a.kind === 'jwt' }, 'JWT'));
  const value = el('input', { id: 'auth-value', type: 'password', value: a.value, autocomplete: 'off',
    placeholder: 'x-hasura-admin-secret', spellcheck: false });
  const state = el('span', { id: 'auth-state' });
  const show = () => {
    const cur = auth();
    value.placeholder = kind.value === 'jwt' ? 'paste a JWT (Authorization: Bearer)' : 'x-hasura-admin-secret';
    state.textContent = cur.value ? (cur.kind === 'jwt' ? 'JWT set' : 'admin secret set') : 'no credentials';
    state.className = cur.value ? 'set' : 'unset';
  };
  const save = (ev) => {
    ev.preventDefault();
    localStorage.setItem(authKey, JSON.stringify({ kind: kind.value, value: value.value.trim() }));
    show();
    for (const fn of listeners) fn();
  };
  kind.onchange = show;
  show();
  const form = el('form', { id: 'auth', onsubmit: save }, kind, value,
    el('button', { id: 'auth-save', type: 'submit' }, 'Use'), state);
  const nav = el('nav', {}, pages.map(([href, label]) =>
    el('a', { href, className: href === here ? 'active' : '' }, label)));
  return el('header', { className: 'top' }, el('a', { className: 'brand', href: 'index.html' }, 'Graft console'), nav, form);
}

// Every page has <div id="header"></div>; the header is drawn once loaded.
document.getElementById('header')?.replaceWith(header());

// The GraphiQL bundle is built separately and finds these through window.
window.graftConsole = { authHeaders, onAuthChange };
