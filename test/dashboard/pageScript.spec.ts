// The page's script without a browser: it runs in a bare VM context against a few stand-ins for the
// DOM, built from the page's own HTML, so the tables' shapes are the ones the user gets.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { pageHtml } from '../../src/dashboard/page.js';
import { pageScript } from '../../src/dashboard/pageScript.js';

interface FakeCell { text: string; attrs: Record<string, string> }

/** The number of header cells of the table holding `<tbody id="{id}">`, read from the page's HTML. */
function headerColumns(html: string, id: string): number {
  const end = html.indexOf(`<tbody id="${id}">`);
  const start = html.lastIndexOf('<table>', end);
  return (html.slice(start, end).match(/<th[\s>]/g) ?? []).length;
}

/** Runs the page script on stand-ins and returns, per table, the cells of each drawn row. */
function runScript(): { draw: (state: unknown) => void; rows: Map<string, FakeCell[][]> } {
  const html = pageHtml('test');
  const rows = new Map<string, FakeCell[][]>();
  const tbody = (id: string) => ({
    closest: () => ({ tHead: { rows: [{ cells: Array.from({ length: headerColumns(html, id) }, () => ({ colSpan: 1 })) }] } }),
    replaceChildren: () => rows.set(id, []),
    insertRow: () => {
      const cells: FakeCell[] = [];
      rows.get(id)?.push(cells);
      return { dataset: {}, appendChild: (td: { cell: FakeCell }) => cells.push(td.cell) };
    },
  });
  const bodies = new Map(['providers', 'budgets', 'failures'].map((id) => [id, tbody(id)]));
  const source: { onmessage?: (message: { data: string }) => void; addEventListener: () => void } = { addEventListener: () => undefined };
  const document = {
    getElementById: (id: string) => bodies.get(id) ?? {},
    createElement: () => {
      const cell: FakeCell = { text: '', attrs: {} };
      return {
        cell,
        style: {},
        appendChild: () => undefined,
        set textContent(text: string) { cell.text = text; },
        setAttribute: (key: string, value: string) => (cell.attrs[key] = value),
      };
    },
  };
  function EventSource() { return source; }
  runInNewContext(pageScript, { location: { pathname: '/' }, document, EventSource, Intl });
  return { draw: (state) => source.onmessage?.({ data: JSON.stringify(state) }), rows };
}

describe('dashboard page script', () => {
  it('spans an empty table\'s single row over every column of its header', () => {
    const { draw, rows } = runScript();
    draw({ now: 0, providers: [], budgets: [], failures: [] });
    const html = pageHtml('test');
    for (const id of ['providers', 'budgets', 'failures']) {
      expect(rows.get(id), id).toHaveLength(1);
      expect(rows.get(id)?.[0]?.[0]?.attrs.colspan, id).toBe(String(headerColumns(html, id)));
    }
    // The budget table has the cluster, adaptive and health columns.
    expect(headerColumns(html, 'budgets')).toBe(9);
  });
});
