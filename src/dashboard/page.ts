import { createHash } from 'node:crypto';
import { pageScript } from './pageScript.js';

const style = `
:root { color-scheme: light dark; --line: #8884; --accent: #2f7de1; --busy: #d9822b; --bad: #d64545; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
header { display: flex; align-items: baseline; gap: 1rem; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
#status { font-size: .85rem; padding: .1rem .5rem; border-radius: 1rem; border: 1px solid var(--line); }
#status.live { color: #2a9d4b; } #status.lost { color: var(--busy); } #status.ended { color: var(--bad); }
table { border-collapse: collapse; min-width: 40rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid var(--line); text-align: right; font-variant-numeric: tabular-nums; }
th { font-weight: 600; font-size: .8rem; text-transform: uppercase; opacity: .7; }
td.name, th.name, td.text, td.error { text-align: left; }
td.ejected { color: var(--bad); font-weight: 600; } td.half-open { color: var(--busy); }
td.name { font-family: ui-monospace, monospace; }
td.bad { color: var(--bad); font-weight: 600; }
td.error { color: var(--bad); max-width: 40rem; overflow-wrap: anywhere; }
td.empty { text-align: center; opacity: .6; }
td.bar { width: 10rem; }
td.bar span { display: block; height: .6rem; background: var(--accent); border-radius: .3rem; min-width: 1px; }
td.bar span.busy { background: var(--busy); }
`;

/** The page: markup, style and script in one response, nothing fetched but the event stream. */
export function pageHtml(title: string): string {
  const text = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text}</title>
<style>${style}</style>
</head>
<body>
<header><h1>${text}</h1><span id="status">connecting…</span></header>
<h2>Providers</h2>
<table><thead><tr><th class="name">provider</th><th>queued</th><th>waiting</th><th>running</th><th>succeeded</th><th>failed</th><th>cancelled</th><th>retries</th><th>succeeded/s</th><th>failed/s</th></tr></thead>
<tbody id="providers"></tbody></table>
<h2>Budgets <small>(busiest first)</small></h2>
<table><thead><tr><th class="name">budget</th><th>limit</th><th>in use</th><th>waiters</th><th title="every process sharing the coordinator">in use, all</th><th title="processes waiting for a slot">processes waiting</th><th></th><th class="name">adaptive limit</th><th class="name">health</th></tr></thead>
<tbody id="budgets"></tbody></table>
<h2>Recent failures</h2>
<table><thead><tr><th class="name">when</th><th class="name">provider</th><th class="name">task</th><th>attempts</th><th class="name">error</th></tr></thead>
<tbody id="failures"></tbody></table>
<script>${pageScript}</script>
</body>
</html>
`;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only this page's own style and script run, and it connects only to its own origin. */
export const pageSecurityPolicy = [
  "default-src 'none'",
  `style-src ${sha256(style)}`,
  `script-src ${sha256(pageScript)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
