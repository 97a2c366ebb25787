// Tracked tables with their relationships and permissions, read from
// export_metadata: what the metadata says, as Hasura's console shows it.
import { el, json, message, metadata, onAuthChange } from './common.js';

const content = document.getElementById('content');
const kinds = ['insert', 'select', 'update', 'delete'];

const qualified = (t) => (typeof t === 'string' ? t : `${t.schema || 'public'}.${t.name}`);

// using says how a relationship joins, in one line.
function using(u = {}) {
  if (u.foreign_key_constraint_on) {
    const fk = u.foreign_key_constraint_on;
    if (typeof fk === 'string' || Array.isArray(fk)) return `foreign key on ${[].concat(fk).join(', ')}`;
    return `foreign key ${qualified(fk.table)} (${[].concat(fk.column || fk.columns).join(', ')})`;
  }
  if (u.manual_configuration) {
    const m = u.manual_configuration;
    const cols = Object.entries(m.column_mapping || {}).map(([a, b]) => `${a} → ${b}`).join(', ');
    return `manual: ${qualified(m.remote_table)} (${cols})`;
  }
  return JSON.stringify(u);
}

function relationships(t) {
  const rels = [
    ...(t.object_relationships || []).map((r) => ['object', r]),
    ...(t.array_relationships || []).map((r) => ['array', r]),
  ];
  if (rels.length === 0) return el('p', { className: 'muted' }, 'No relationships.');
  return el('table', { className: 'grid rels' },
    el('tr', {}, el('th', {}, 'Relationship'), el('th', {}, 'Type'), el('th', {}, 'Using')),
    rels.map(([type, r]) => el('tr', {}, el('td', {}, el('code', {}, r.name)), el('td', {}, type), el('td', {}, using(r.using)))));
}

// permissions is a role × operation grid; each cell opens the permission.
function permissions(t) {
  const byRole = new Map();
  for (const kind of kinds) {
    for (const p of t[`${kind}_permissions`] || []) {
      if (!byRole.has(p.role)) byRole.set(p.role, {});
      byRole.get(p.role)[kind] = p.permission;
    }
  }
  if (byRole.size === 0) return el('p', { className: 'muted' }, 'No permissions: only the admin role can use this table.');
  return el('table', { className: 'grid perms' },
    el('tr', {}, el('th', {}, 'Role'), kinds.map((k) => el('th', {}, k))),
    [...byRole.keys()].sort().map((role) => el('tr', {}, el('td', {}, el('code', {}, role)),
      kinds.map((k) => {
        const p = byRole.get(role)[k];
        if (!p) return el('td', {}, el('span', { className: 'perm no', title: 'not allowed' }, '✕'));
        return el('td', {}, el('details', {}, el('summary', { className: 'perm yes' }, '✓'), json(p)));
      }))));
}

function table(source, t) {
  const custom = t.configuration?.custom_name;
  const triggers = (t.event_triggers || []).map((e) => e.name);
  return el('section', { className: 'card table', 'data-table': qualified(t.table) },
    el('header', {},
      el('h2', {}, qualified(t.table)),
      custom && el('span', { className: 'muted' }, `GraphQL name ${custom}`),
      t.is_enum && el('span', { className: 'badge' }, 'enum'),
      el('span', { className: 'badge' }, `source ${source}`),
      triggers.length > 0 && el('a', { href: 'events.html#' + encodeURIComponent(triggers[0]) }, `${triggers.length} event trigger(s)`)),
    relationships(t),
    el('h3', {}, 'Permissions'),
    permissions(t),
    (t.computed_fields || []).length > 0 &&
      el('p', { className: 'muted' }, 'Computed fields: ', t.computed_fields.map((c) => c.name).join(', ')));
}

async function load() {
  message(content, 'info', 'Loading…');
  try {
    const md = await metadata('export_metadata', {});
    const sections = [];
    for (const s of md.sources || []) {
      for (const t of s.tables || []) sections.push(table(s.name, t));
    }
    if (sections.length === 0) return message(content, 'empty', 'No tracked tables.');
    content.replaceChildren(el('p', { className: 'muted' }, `${sections.length} tracked table(s)`), ...sections);
  } catch (e) {
    message(content, 'error', e.message);
  }
}

onAuthChange(load);
load();
