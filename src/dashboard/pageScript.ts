/**
 * The page's script, plain browser JavaScript with no dependency: it opens the event stream next to
 * the page's own URL and redraws the three tables from each state. Text goes in with textContent
 * only (task ids, provider names and errors are user data).
 */
export const pageScript = String.raw`
'use strict';
const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat('en-US');
const rate = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const providerFields = ['queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled', 'retries'];

function cell(row, text, attrs) {
  const td = document.createElement('td');
  td.textContent = text;
  for (const [key, value] of Object.entries(attrs || {})) td.setAttribute(key, value);
  row.appendChild(td);
  return td;
}

// The header's width, so a row spanning the table follows its columns as they are added.
function headerColumns(tbody) {
  let columns = 0;
  for (const th of tbody.closest('table').tHead.rows[0].cells) columns += th.colSpan;
  return columns;
}

function fill(tbody, rows, draw, empty) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = tbody.insertRow();
    cell(tr, empty, { colspan: String(headerColumns(tbody)), class: 'empty' });
    return;
  }
  for (const row of rows) draw(tbody.insertRow(), row);
}

function drawProvider(tr, p) {
  tr.dataset.provider = p.name;
  cell(tr, p.name, { class: 'name' });
  for (const field of providerFields) {
    const td = cell(tr, number.format(p[field]), { 'data-field': field });
    if (field === 'failed' && p.failed > 0) td.className = 'bad';
  }
  cell(tr, rate.format(p.succeededPerSec), { 'data-field': 'succeededPerSec' });
  cell(tr, rate.format(p.failedPerSec), { 'data-field': 'failedPerSec' });
}

function drawBudget(tr, b) {
  tr.dataset.budget = b.key;
  cell(tr, b.key, { class: 'name' });
  cell(tr, b.limit === null ? '∞' : number.format(b.limit), { 'data-field': 'limit' });
  cell(tr, number.format(b.inUse), { 'data-field': 'inUse' });
  cell(tr, number.format(b.waiters), { 'data-field': 'waiters' });
  // Across processes, when the manager has a cluster view; the bar then shows the whole budget.
  cell(tr, b.cluster ? number.format(b.cluster.inUse) : '–', { 'data-field': 'clusterInUse' });
  cell(tr, b.cluster ? number.format(b.cluster.waiters) : '–', { 'data-field': 'clusterWaiters' });
  const bar = cell(tr, '', { class: 'bar' });
  const fillBar = document.createElement('span');
  const inUse = b.cluster ? b.cluster.inUse : b.inUse;
  const share = b.limit === null || b.limit === 0 ? 0 : Math.min(1, inUse / b.limit);
  fillBar.style.width = (share * 100).toFixed(1) + '%';
  if (b.waiters > 0) fillBar.className = 'busy';
  bar.appendChild(fillBar);
  cell(tr, adaptiveText(b.adaptive), { class: 'text', 'data-field': 'adaptive' });
  const health = b.health ? b.health.state : '';
  cell(tr, healthText(b.health), { class: 'text ' + health, 'data-field': 'health' });
}

// "6 of 1–32 · aimd · last moved: latency" (the reason of the latest move: probe, latency, errors).
function adaptiveText(a) {
  if (!a) return '';
  return number.format(a.limit) + ' of ' + number.format(a.min) + '–' + number.format(a.max) + ' · ' + a.algorithm +
    (a.reason ? ' · last moved: ' + a.reason : '');
}

function healthText(h) {
  if (!h) return '';
  if (h.state === 'ejected') return 'ejected, probe in ' + Math.max(0, Math.ceil((h.until - now) / 1000)) + ' s';
  return h.state === 'half-open' ? 'half-open (one probe)' : 'healthy';
}

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
}

let now = 0;

function draw(state) {
  now = state.now;
  fill($('providers'), state.providers, drawProvider, 'no providers');
  fill($('budgets'), state.budgets, drawBudget, 'no budgets');
  fill($('failures'), state.failures, (tr, f) => {
    tr.dataset.task = f.id;
    cell(tr, ago(state.now - f.at), { class: 'text' });
    cell(tr, f.provider, { class: 'text' });
    cell(tr, f.id, { class: 'name' });
    cell(tr, String(f.attempts));
    cell(tr, f.error, { class: 'error' });
  }, 'no failures');
}

function status(text, kind) {
  const el = $('status');
  el.textContent = text;
  el.className = kind;
}

const source = new EventSource(base + 'events');
source.onopen = () => status('live', 'live');
source.onmessage = (message) => draw(JSON.parse(message.data));
source.addEventListener('end', () => {
  source.close();
  status('the manager has shut down', 'ended');
});
source.onerror = () => {
  if (source.readyState !== EventSource.CLOSED) status('reconnecting…', 'lost');
};
`;
