// The dashboard's HTTP side without a browser: routes, headers, the event stream's messages, and
// the state's rules (rates, the busiest budget first, failures latest first). Throttling and rates
// run on a TestScheduler; the HTTP exchanges are real, on a loopback port.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, NonRetryableError, type Task, type TaskManager } from '../../src/index.js';
import { dashboard, type DashboardHandler, type DashboardState } from '../../src/dashboard/index.js';
import { virtualWork } from '../../src/testing/index.js';

interface Fixture {
  manager: TaskManager;
  board: DashboardHandler;
  scheduler: TestScheduler;
  get(path: string, method?: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>;
  url(path: string): string;
}

const servers: Server[] = [];
const boards: DashboardHandler[] = [];
afterEach(async () => {
  for (const board of boards.splice(0)) board.close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A manager in virtual time (provider `ai`, one server of limit 1: `ms` of work per task, failing when the payload is negative) and its dashboard on a real port. */
async function fixture(listener?: (board: DashboardHandler) => Parameters<typeof createServer>[1]): Promise<Fixture> {
  const scheduler = new TestScheduler(() => undefined);
  const manager = createTaskManager({
    providers: [
      defineProvider({
        name: 'ai',
        servers: ['https://gpu-1.internal/v1'],
        handle: (task: Task<number>) => (task.payload >= 0 ? virtualWork(task.payload, 'ok', scheduler) : Promise.reject(new NonRetryableError(new RangeError(`bad payload ${task.payload}`)))),
      }),
      // No task goes to ssr: it is here for its budgets, one of them unlimited.
      defineProvider({ name: 'ssr', servers: ['https://gpu-2.internal/ssr', 'cpu-1'], handle: () => 'page' }),
    ],
    serverLimits: { 'https://gpu-1.internal': 1, 'https://gpu-2.internal': 3 },
    defaultServerLimit: Number.POSITIVE_INFINITY,
    retry: { maxRetries: 0 },
    scheduler,
  });
  const board = dashboard(manager, { scheduler, throttleMs: 100, maxFailures: 2 });
  boards.push(board);
  const server = createServer(listener ? listener(board) : board);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = (path: string): string => `http://127.0.0.1:${port}${path}`;
  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      request(url(path), { method }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
        .on('error', reject)
        .end();
    });
  return { manager, board, scheduler, get, url };
}

/** Opens the event stream: `received` fills with its messages; `ended` resolves with them when the server ends it. */
function readEvents(fx: Fixture): { received: string[]; ended: Promise<string[]> } {
  const received: string[] = [];
  const ended = new Promise<string[]>((resolve, reject) => {
    request(fx.url('/events'), (res) => {
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        const parts = buffer.split('\n\n');
        buffer = parts.pop() ?? '';
        received.push(...parts.filter((part) => part.startsWith('data:') || part.startsWith('event:')));
      });
      res.on('end', () => resolve(received));
    })
      .on('error', reject)
      .end();
  });
  return { received, ended };
}

/** Runs the next `ms` of virtual time (flush() alone would never end: the dashboard ticks once a second while a page is open). */
function advance(scheduler: TestScheduler, ms: number): void {
  scheduler.maxFrames = scheduler.now() + ms;
  scheduler.flush();
}

const stateOf = (message: string): DashboardState => JSON.parse(message.replace(/^data: /, '')) as DashboardState;

describe('dashboard handler', () => {
  it('should serve the page with its own style and script only, and nothing else from outside', async () => {
    const fx = await fixture();
    const page = await fx.get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'; connect-src 'self'/);
    // No external asset: no src/href attribute pointing anywhere.
    expect(page.body).not.toMatch(/\s(src|href)=/);
    expect(page.body).toContain('<tbody id="budgets">');
  });

  it('should answer 404 and 405 alone, and hand unknown paths to next() when mounted', async () => {
    const alone = await fixture();
    expect((await alone.get('/nope')).status).toBe(404);
    const post = await alone.get('/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    const head = await alone.get('/', 'HEAD');
    expect(head.status).toBe(200);

    const mounted = await fixture((board) => (req, res) => {
      board(req, res, () => {
        res.writeHead(418).end('next');
      });
    });
    expect((await mounted.get('/other')).status).toBe(418);
  });

  it('should serve under basePath when the framework keeps the mount path in req.url', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const manager = createTaskManager({ providers: [defineProvider({ name: 'p', servers: ['s'], handle: () => 1 })], scheduler });
    const board = dashboard(manager, { scheduler, basePath: '/ops/smt/' });
    boards.push(board);
    const server = createServer(board);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const status = (path: string) =>
      new Promise<number>((resolve) => {
        request(`http://127.0.0.1:${port}${path}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).end();
      });
    expect(await status('/ops/smt')).toBe(200);
    expect(await status('/ops/smt/state.json')).toBe(200);
    expect(await status('/')).toBe(404);
    expect(await status('/ops/smtx')).toBe(404);
  });

  it('should give the state as JSON: budgets busiest first, unlimited as null, failures latest first and capped', async () => {
    const fx = await fixture();
    for (const payload of [-1, -2, -3, 50, 60]) fx.manager.submit({ provider: 'ai', payload });
    await expect.poll(() => fx.manager.stats().providers['ai']?.failed).toBe(3);
    const state = JSON.parse((await fx.get('/state.json')).body) as DashboardState;
    expect(state.providers).toEqual([
      expect.objectContaining({ name: 'ai', queued: 1, running: 1, failed: 3, succeededPerSec: 0, failedPerSec: 0 }),
      expect.objectContaining({ name: 'ssr', queued: 0, running: 0 }),
    ]);
    expect(state.budgets.map((b) => [b.key, b.limit, b.inUse, b.waiters])).toEqual([
      ['https://gpu-1.internal/', 1, 1, 1],
      ['cpu-1', null, 0, 0],
      ['https://gpu-2.internal/', 3, 0, 0],
    ]);
    expect(state.failures.map((f) => [f.error, f.attempts])).toEqual([
      ['RangeError: bad payload -3', 1],
      ['RangeError: bad payload -2', 1],
    ]);
  });

  it('should stream states throttled, with rates over the window, and end the stream at shutdown', async () => {
    const fx = await fixture();
    const stream = readEvents(fx);
    // The first state arrives at once; then four tasks of 100 ms run one after the other.
    await expect.poll(() => stream.received.length).toBe(1);
    for (let i = 0; i < 4; i++) fx.manager.submit({ provider: 'ai', payload: 100 });
    advance(fx.scheduler, 2_000);
    await fx.manager.shutdown();
    advance(fx.scheduler, 2_000); // the throttle's last state
    const messages = await stream.ended;
    expect(messages.at(-1)).toBe('event: end\ndata: {}');
    const states = messages.filter((m) => m.startsWith('data:')).map(stateOf);
    const last = states.at(-1) as DashboardState;
    expect(last.providers[0]).toMatchObject({ succeeded: 4, running: 0, queued: 0 });
    // Throttled: at most one state per 100 ms of the scheduler.
    const times = states.map((s) => s.now);
    for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(100);
    // Rates are over the samples since the window's start (the first state, at 0): 4 successes
    // by the tick at 1 s is 4 per second; by the tick at 2 s, 2 per second.
    const rateAt = (now: number) => states.find((s) => s.now === now)?.providers[0]?.succeededPerSec;
    expect([rateAt(1000), rateAt(2000)]).toEqual([4, 2]);
  });

  it('should end open streams on close()', async () => {
    const fx = await fixture();
    const stream = readEvents(fx);
    await expect.poll(() => stream.received.length).toBe(1);
    fx.board.close();
    expect(await stream.ended).toHaveLength(1);
  });
});
