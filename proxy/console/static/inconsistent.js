// Inconsistent metadata (get_inconsistent_metadata): the objects Graft
// keeps but cannot serve, and the warnings about those it does not act on.
import { el, json, message, metadata, onAuthChange } from './common.js';

const content = document.getElementById('content');

function objects(list) {
  return el('table', { className: 'grid inconsistent' },
    el('tr', {}, el('th', {}, 'Type'), el('th', {}, 'Name'), el('th', {}, 'Reason'), el('th', {}, 'Definition')),
    list.map((o) => el('tr', {},
      el('td', {}, el('span', { className: 'badge bad' }, o.type)),
      el('td', {}, el('code', {}, o.name ?? '')),
      el('td', {}, o.reason ?? ''),
      el('td', {}, el('details', {}, el('summary', {}, 'show'), json(o.definition))))));
}

async function load() {
  message(content, 'info', 'Loading…');
  try {
    const res = await metadata('get_inconsistent_metadata', {});
    const list = res.inconsistent_objects || [];
    const parts = [el('p', {},
      res.is_consistent
        ? el('span', { className: 'badge ok', id: 'consistency' }, 'consistent')
        : el('span', { className: 'badge bad', id: 'consistency' }, `${list.length} inconsistent object(s)`))];
    if (list.length > 0) parts.push(el('section', { className: 'card' }, objects(list)));
    const warnings = res.warnings || [];
    if (warnings.length > 0) {
      parts.push(el('section', { className: 'card' },
        el('header', {}, el('h2', {}, 'Warnings'), el('span', { className: 'muted' }, 'kept in the metadata, not acted on')),
        el('table', { className: 'grid' },
          el('tr', {}, el('th', {}, 'Type'), el('th', {}, 'Name'), el('th', {}, 'Message')),
          warnings.map((w) => el('tr', {},
            el('td', {}, el('span', { className: 'badge warn' }, w.type ?? '')),
            el('td', {}, el('code', {}, w.name ?? '')),
            el('td', {}, w.message ?? w.reason ?? JSON.stringify(w)))))));
    }
    content.replaceChildren(...parts);
  } catch (e) {
    message(content, 'error', e.message);
  }
}

onAuthChange(load);
load();
