// Event triggers (from export_metadata) with their events by status
// (pg_get_event_logs), one event's invocations (pg_get_event_by_id), the
// trigger's invocation logs (pg_get_event_invocation_logs) and redelivery
// (pg_redeliver_event).
import { el, json, message, metadata, onAuthChange, when } from './common.js';

const content = document.getElementById('content');
const tabs = [
  ['pending', 'Pending'],
  ['processed', 'Processed'],
  ['dead', 'Dead'],
  ['invocations', 'Invocation logs'],
];
let triggers = []; // {name, source, table, def}
let current = { trigger: '', tab: 'pending', event: '' };

const qualified = (t) => `${t.schema || 'public'}.${t.name}`;
const short = (id) => (id ? id.slice(0, 8) : '');

function status(ev) {
  if (ev.delivered) return el('span', { className: 'badge ok' }, 'delivered');
  if (ev.error) return el('span', { className: 'badge bad' }, 'failed');
  return el('span', { className: 'badge warn' }, 'pending');
}

function httpStatus(s) {
  const cls = s >= 200 && s < 300 ? 'ok' : s ? 'bad' : 'warn';
  return el('span', { className: 'badge ' + cls }, s ? String(s) : 'no response');
}

// The response shows the webhook's body (or the delivery error) when there is one.
function responseText(r) {
  const d = r?.data || {};
  return d.body ?? d.message ?? JSON.stringify(r);
}

function invocationRows(list) {
  if (list.length === 0) return el('p', { className: 'msg empty' }, 'No invocations yet.');
  return el('table', { className: 'grid invocations' },
    el('tr', {}, el('th', {}, 'When'), el('th', {}, 'Event'), el('th', {}, 'HTTP'), el('th', {}, 'Response'), el('th', {}, 'Request')),
    list.map((l) => el('tr', { className: 'invocation' },
      el('td', {}, when(l.created_at)),
      el('td', {}, el('code', { title: l.event_id }, short(l.event_id))),
      el('td', {}, httpStatus(l.http_status)),
      el('td', {}, el('code', {}, responseText(l.response))),
      el('td', {}, el('details', {}, el('summary', {}, 'payload'), json(l.request))))));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const getEvent = (id) => metadata('pg_get_event_by_id', { event_id: id, invocation_log_limit: 50 });

// redeliver queues the event again, then waits (up to 10 s) for the new
// attempt's invocation before showing the event and its list again.
async function redeliver(id, before, note, done) {
  await metadata('pg_redeliver_event', { event_id: id });
  note.textContent = 'Redelivery queued…';
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const { invocations = [] } = await getEvent(id);
    if (invocations.length > 0 && invocations[0].id !== before) break;
  }
  done('Redelivered.');
}

// eventDetail shows one event, its invocations and the redeliver button;
// refresh redraws the event list after a redelivery.
async function eventDetail(box, id, refresh, note0 = '') {
  message(box, 'info', 'Loading event…');
  try {
    const { event: ev, invocations } = await getEvent(id);
    const note = el('span', { className: 'muted', id: 'redeliver-state' }, note0);
    const button = el('button', { className: 'btn primary', id: 'redeliver', type: 'button' }, 'Redeliver');
    button.onclick = async () => {
      button.disabled = true;
      try {
        await redeliver(id, invocations?.[0]?.id, note, (msg) => {
          refresh();
          eventDetail(box, id, refresh, msg);
        });
      } catch (e) {
        note.textContent = e.message;
        button.disabled = false;
      }
    };
    box.replaceChildren(el('section', { className: 'card event-detail', 'data-event': id },
      el('header', {}, el('h2', {}, `Event ${id}`), status(ev), el('span', { className: 'muted' }, `${ev.tries} tries`),
        ev.next_retry_at && el('span', { className: 'muted' }, 'next retry ', when(ev.next_retry_at))),
      el('div', { className: 'toolbar' }, button, note),
      el('h3', {}, 'Payload'), json(ev.payload),
      el('h3', {}, 'Invocations'), invocationRows(invocations || [])));
  } catch (e) {
    message(box, 'error', e.message);
  }
}

async function eventList(box, detail) {
  const t = current.trigger;
  message(box, 'info', 'Loading…');
  try {
    if (current.tab === 'invocations') {
      box.replaceChildren(invocationRows(await metadata('pg_get_event_invocation_logs', { name: t, limit: 100 })));
      return;
    }
    const events = await metadata('pg_get_event_logs', { name: t, status: current.tab, limit: 100 });
    if (events.length === 0) return message(box, 'empty', `No ${current.tab} events.`);
    box.replaceChildren(el('table', { className: 'grid events' },
      el('tr', {}, el('th', {}, 'Event'), el('th', {}, 'Operation'), el('th', {}, 'Created'), el('th', {}, 'Tries'), el('th', {}, 'Status')),
      events.map((ev) => {
        const row = el('tr', { className: 'clickable event' + (ev.id === current.event ? ' selected' : ''), 'data-event': ev.id },
          el('td', {}, el('code', { title: ev.id }, short(ev.id))),
          el('td', {}, ev.payload?.op ?? ''),
          el('td', {}, when(ev.created_at)),
          el('td', {}, String(ev.tries)),
          el('td', {}, status(ev)));
        row.onclick = () => {
          box.querySelectorAll('tr.selected').forEach((r) => r.classList.remove('selected'));
          row.classList.add('selected');
          current.event = ev.id;
          eventDetail(detail, ev.id, () => eventList(box, detail));
        };
        return row;
      })));
  } catch (e) {
    message(box, 'error', e.message);
  }
}

function triggerView(t) {
  const d = t.def;
  const ops = ['insert', 'update', 'delete'].filter((op) => d.definition?.[op]);
  if (d.definition?.enable_manual) ops.push('manual');
  const list = el('div', { id: 'events' });
  const detail = el('div', { id: 'event-detail' });
  const tabBar = el('div', { className: 'tabs' }, tabs.map(([key, label]) => {
    const b = el('button', { type: 'button', className: key === current.tab ? 'active' : '', 'data-tab': key }, label);
    b.onclick = () => {
      current.tab = key;
      current.event = '';
      tabBar.querySelectorAll('button').forEach((x) => x.classList.toggle('active', x === b));
      detail.replaceChildren();
      eventList(list, detail);
    };
    return b;
  }));
  const refresh = el('button', { type: 'button', className: 'btn' }, 'Refresh');
  refresh.onclick = () => eventList(list, detail);
  eventList(list, detail);
  return el('div', {},
    el('section', { className: 'card trigger', 'data-trigger': t.name },
      el('header', {}, el('h2', {}, t.name), el('span', { className: 'muted' }, `on ${t.table}`),
        ops.map((op) => el('span', { className: 'badge' }, op))),
      el('p', {}, 'Webhook: ', el('code', {}, d.webhook ?? (d.webhook_from_env ? `{{${d.webhook_from_env}}}` : ''))),
      el('div', { className: 'toolbar' }, tabBar, refresh),
      list),
    detail);
}

function render() {
  if (triggers.length === 0) return message(content, 'empty', 'No event triggers.');
  if (!triggers.some((t) => t.name === current.trigger)) current.trigger = triggers[0].name;
  const t = triggers.find((x) => x.name === current.trigger);
  const nav = el('nav', { className: 'list card' }, triggers.map((x) =>
    el('a', { href: '#' + encodeURIComponent(x.name), className: x.name === t.name ? 'active' : '' },
      x.name, el('small', {}, x.table))));
  content.replaceChildren(el('div', { className: 'split' }, nav, triggerView(t)));
}

async function load() {
  message(content, 'info', 'Loading…');
  try {
    const md = await metadata('export_metadata', {});
    triggers = [];
    for (const s of md.sources || []) {
      for (const t of s.tables || []) {
        for (const def of t.event_triggers || []) triggers.push({ name: def.name, source: s.name, table: qualified(t.table), def });
      }
    }
    triggers.sort((a, b) => a.name.localeCompare(b.name));
    current.trigger = decodeURIComponent(location.hash.slice(1)) || current.trigger;
    render();
  } catch (e) {
    message(content, 'error', e.message);
  }
}

window.addEventListener('hashchange', () => {
  current = { trigger: decodeURIComponent(location.hash.slice(1)), tab: current.tab, event: '' };
  render();
});
onAuthChange(load);
load();
