// The dashboard in a real browser: Debian's chromium, driven by playwright-core, against a running
// manager whose tasks the test starts and ends by hand. Real time and real HTTP (the page, the
// event stream); every number is awaited until the page shows it, never slept for.
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, NonRetryableError, type StatsSnapshot, type Task, type TaskManager } from '../../src/index.js';
import { dashboard, type DashboardHandler } from '../../src/dashboard/index.js';

const CHROMIUM = '/usr/bin/chromium';
// The README's screenshot: rewritten with UPDATE_SCREENSHOT=1 (its rates differ from run to run,
// so an ordinary run writes to the temp dir and leaves the work tree clean).
const SCREENSHOT = process.env['UPDATE_SCREENSHOT'] === '1' ? new URL('../../docs/dashboard.png', import.meta.url) : pathToFileURL(join(tmpdir(), 'smt-rx-dashboard.png'));

/** Tasks that run until the test ends them: `finish(id)` resolves one, `fail(id, error)` rejects it. */
function heldTasks() {
  const running = new Map<string, { resolve: (value: string) => void; reject: (error: unknown) => void }>();
  const handle = (task: Task<string>): Promise<string> =>
    new Promise((resolve, reject) => {
      running.set(task.id, { resolve, reject });
    });
  return {
    handle,
    isRunning: (id: string) => running.has(id),
    finish(id: string) {
      running.get(id)?.resolve(`done ${id}`);
      running.delete(id);
    },
    fail(id: string, error: unknown) {
      running.get(id)?.reject(error);
      running.delete(id);
    },
  };
}

interface PageNumbers {
  providers: Record<string, Record<string, number>>;
  budgets: { key: string; limit: string; inUse: number; waiters: number }[];
  failures: { task: string; error: string }[];
}

/**
 * What the page shows now, read from its tables. The reader runs in the page, so it is written as
 * browser JavaScript (this project's TypeScript has no DOM types).
 */
function readPage(page: Page): Promise<PageNumbers> {
  return page.evaluate<PageNumbers>(`(() => {
    const num = (text) => Number((text ?? '').replace(/,/g, ''));
    const rows = (selector) => [...document.querySelectorAll(selector)];
    const providers = {};
    for (const row of rows('#providers tr[data-provider]')) {
      const fields = {};
      for (const cell of row.querySelectorAll('td[data-field]')) fields[cell.dataset.field] = num(cell.textContent);
      providers[row.dataset.provider] = fields;
    }
    const budgets = rows('#budgets tr[data-budget]').map((row) => ({
      key: row.dataset.budget,
      limit: row.querySelector('[data-field="limit"]').textContent,
      inUse: num(row.querySelector('[data-field="inUse"]').textContent),
      waiters: num(row.querySelector('[data-field="waiters"]').textContent),
    }));
    const failures = rows('#failures tr[data-task]').map((row) => ({ task: row.dataset.task, error: row.querySelector('td.error').textContent }));
    return { providers, budgets, failures };
  })()`);
}

/** The counts of the page's provider table, as the manager's stats give them. */
function countsOf(stats: StatsSnapshot): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(stats.providers).map(([name, p]) => [
      name,
      { queued: p.queued, waiting: p.waiting, running: p.running, succeeded: p.succeeded, failed: p.failed, cancelled: p.cancelled, retries: p.retries },
    ]),
  );
}

/** The page's provider counts without the rates (which depend on timing). */
function countsOnPage(numbers: PageNumbers): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(numbers.providers).map(([name, fields]) => {
      const { succeededPerSec: _s, failedPerSec: _f, ...counts } = fields;
      return [name, counts];
    }),
  );
}

describe('dashboard in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let board: DashboardHandler;
  let manager: TaskManager;
  let page: Page;
  const ai = heldTasks();
  const ssr = heldTasks();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
    manager = createTaskManager({
      providers: [
        defineProvider({ name: 'ai', servers: ['https://gpu-1.internal/v1', 'https://gpu-2.internal/v1'], handle: ai.handle }),
        defineProvider({ name: 'ssr', servers: ['http://node-1.internal:3000', 'https://gpu-2.internal/ssr'], handle: ssr.handle }),
      ],
      serverLimits: { 'https://gpu-1.internal': 1, 'https://gpu-2.internal': 2, 'http://node-1.internal:3000': 1 },
      retry: { maxRetries: 0 },
    });
    board = dashboard(manager, { throttleMs: 50, title: 'smt-rx · demo' });
    server = createServer(board);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1000, height: 540 } });
  });

  afterAll(async () => {
    await browser?.close();
    board?.close();
    await new Promise((resolve) => server?.close(resolve));
    await manager?.shutdown({ mode: 'cancel', graceMs: 0 });
  });

  /** Waits until the page's provider counts equal the manager's stats (read anew each time), and returns what it shows. */
  async function pageFollowsStats(): Promise<PageNumbers> {
    const both = async () => ({ page: countsOnPage(await readPage(page)), stats: countsOf(manager.stats()) });
    await expect.poll(both, { timeout: 10_000 }).toSatisfy(({ page: shown, stats }) => isDeepStrictEqual(shown, stats));
    return readPage(page);
  }

  /** Waits until the manager's counts reach `expected` (a handler's promise settles a few turns later). */
  async function statsReach(expected: Record<string, Record<string, number>>): Promise<void> {
    await expect.poll(() => countsOf(manager.stats()), { timeout: 10_000 }).toMatchObject(expected);
  }

  it('should show the counts, budgets and failures of the running manager, live', async () => {
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect.poll(() => page.textContent('#status')).toBe('live');

    // 5 ssr pages, then 6 ai tasks: node-1 takes 1 page and gpu-2's shared budget 2; gpu-1 takes
    // 1 ai task.
    for (let i = 1; i <= 5; i++) manager.submit({ id: `ssr-${i}`, provider: 'ssr', payload: `/page/${i}`, priority: 10 });
    for (let i = 1; i <= 6; i++) manager.submit({ id: `ai-${i}`, provider: 'ai', payload: `prompt ${i}` });
    await statsReach({ ai: { queued: 5, running: 1 }, ssr: { queued: 2, running: 3 } });
    let shown = await pageFollowsStats();
    expect(shown.providers['ai']).toMatchObject({ queued: 5, running: 1 });
    expect(shown.providers['ssr']).toMatchObject({ queued: 2, running: 3 });
    // Budgets, the busiest first: gpu-2 has both providers' waiters.
    expect(shown.budgets).toEqual([
      { key: 'https://gpu-2.internal/', limit: '2', inUse: 2, waiters: 7 },
      { key: 'https://gpu-1.internal/', limit: '1', inUse: 1, waiters: 5 },
      { key: 'http://node-1.internal:3000/', limit: '1', inUse: 1, waiters: 2 },
    ]);

    // Tasks end: the counts move on the page as in the stats; a failure shows with its error.
    ai.finish('ai-1');
    ssr.fail('ssr-1', new NonRetryableError(new Error('render timed out: upstream 504')));
    ssr.finish('ssr-2');
    await statsReach({ ai: { succeeded: 1 }, ssr: { succeeded: 1, failed: 1 } });
    shown = await pageFollowsStats();
    expect(shown.providers['ai']).toMatchObject({ succeeded: 1, running: 1, queued: 4 });
    expect(shown.providers['ssr']).toMatchObject({ succeeded: 1, failed: 1, running: 3, queued: 0 });
    await expect.poll(async () => (await readPage(page)).failures).toEqual([{ task: 'ssr-1', error: 'Error: render timed out: upstream 504' }]);

    manager.cancel('ai-6');
    ai.fail('ai-2', new NonRetryableError(new TypeError('prompt is longer than the context window')));
    await statsReach({ ai: { cancelled: 1, failed: 1 } });
    shown = await pageFollowsStats();
    expect(shown.providers['ai']).toMatchObject({ cancelled: 1, failed: 1 });
    await expect.poll(async () => (await readPage(page)).failures.map((f) => f.task)).toEqual(['ai-2', 'ssr-1']);
    expect(Number(shown.providers['ai']?.['succeededPerSec'])).toBeGreaterThan(0);

    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: false });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('should tell the page when the manager has shut down', async () => {
    await manager.shutdown({ mode: 'cancel', graceMs: 0 });
    await statsReach({ ai: { running: 0, queued: 0 }, ssr: { running: 0, queued: 0 } });
    await expect.poll(() => page.textContent('#status'), { timeout: 10_000 }).toBe('the manager has shut down');
    const shown = await pageFollowsStats();
    expect(shown.providers['ai']).toMatchObject({ running: 0, queued: 0 });
  });

  it('should show each adaptive limit with why it last moved, and the ejected budgets', async () => {
    // gpu-1 fails every attempt: its first failure lowers its adaptive limit ('errors') and ejects
    // it for a minute (one failure is enough here); gpu-2 holds its task.
    const held = heldTasks();
    const fleet = createTaskManager({
      providers: [
        defineProvider({
          name: 'ai',
          servers: ['https://gpu-1.internal/v1', 'https://gpu-2.internal/v1'],
          handle: (task: Task<string>, ctx) => (ctx.server.includes('gpu-1') ? Promise.reject(new Error('503')) : held.handle(task)),
        }),
      ],
      adaptiveLimits: { 'https://gpu-1.internal': { max: 8, initial: 8, algorithm: 'aimd' }, 'https://gpu-2.internal': { max: 16, initial: 4 } },
      health: { failures: 1, ejectMs: 60_000 },
      retry: { maxRetries: 0 },
    });
    const fleetBoard = dashboard(fleet, { throttleMs: 50 });
    const fleetServer = createServer(fleetBoard);
    await new Promise<void>((resolve) => fleetServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = fleetServer.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      await expect.poll(() => page.textContent('#status')).toBe('live');
      fleet.submit({ id: 'a', provider: 'ai', payload: 'x' });
      fleet.submit({ id: 'b', provider: 'ai', payload: 'y' });
      await expect.poll(() => fleet.stats().servers['https://gpu-1.internal/']?.health?.state, { timeout: 10_000 }).toBe('ejected');
      const cells = (key: string) =>
        page.evaluate<string[]>(`[...document.querySelectorAll('#budgets tr[data-budget="${key}"] td')].map((td) => td.textContent)`);
      const gpu1 = 'https://gpu-1.internal/';
      const gpu2 = 'https://gpu-2.internal/';
      await expect.poll(async () => (await cells(gpu1))[8], { timeout: 10_000 }).toMatch(/^ejected, probe in (59|60) s$/);
      const row1 = await cells(gpu1);
      // The limit in force is 0 while ejected; the adaptive limit went down on the error.
      expect(row1[1]).toBe('0');
      expect(row1[7]).toBe('7 of 1–8 · aimd · last moved: errors');
      const row2 = await cells(gpu2);
      expect(row2[1]).toBe('4');
      expect(row2[7]).toBe('4 of 1–16 · gradient');
      expect(row2[8]).toBe('');
    } finally {
      fleetBoard.close();
      await new Promise((resolve) => fleetServer.close(resolve));
      await fleet.shutdown({ mode: 'cancel', graceMs: 0 });
    }
  });
});
