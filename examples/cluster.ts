/**
 * smt-rx many-processes demo (`npm run demo:cluster`): three worker processes share two servers
 * through Redis, and the per-server limits hold across all of them.
 *
 * - Redis: `REDIS_URL` if set, else a throw-away `redis-server` on a free port (no persistence).
 * - The two "servers" are paths of a local HTTP server that holds each request 40–120 ms and
 *   counts concurrent requests, so the numbers printed are what the servers really saw.
 * - This process is the operator: it sets the limits (gpu-1: 2, gpu-2: 2), raises gpu-2 to 3
 *   while the workers run, and kills worker w3 with SIGKILL while it holds slots: its slots come
 *   back to the others within the lease (2 s here).
 *
 * Each worker is this file run with `worker <name> <tasks>`: a task manager with a Redis slot
 * coordinator. In your own code, import from 'smt-rx' and 'smt-rx/redis' instead of '../src/...'.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createTaskManager, defineProvider } from '../src/index.js';
import { redisSlotCoordinator } from '../src/redis/index.js';
import { startRedis, type LocalRedis } from './lib/localRedis.js';

const LEASE_MS = 2_000;
const SERVERS = ['gpu-1', 'gpu-2'] as const;
const WORKERS: ReadonlyArray<[name: string, tasks: number]> = [
  ['w1', 100],
  ['w2', 100],
  ['w3', 60],
];

type WorkerReport = { type: 'ready' } | { type: 'outcome'; tag: string } | { type: 'done' };

if (process.argv[2] === 'worker') void worker(process.argv[3] ?? 'w', Number(process.argv[4] ?? '10'));
else void operator();

// ---------------------------------------------------------------------------------------------
// A worker: one process, one task manager, slots from Redis
// ---------------------------------------------------------------------------------------------

async function worker(name: string, tasks: number): Promise<void> {
  const report = (message: WorkerReport): void => void process.send?.(message);
  const coordinator = await redisSlotCoordinator({ redis: env('REDIS_URL'), instanceName: name, leaseMs: LEASE_MS });
  const gpu = defineProvider({
    name: 'gpu',
    servers: SERVERS.map((server) => `${env('HTTP_BASE')}/${server}`),
    handle: async (_task, ctx) => {
      const ms = 40 + Math.floor(Math.random() * 80);
      const response = await fetch(`${ctx.server}?ms=${ms}&who=${name}`, { signal: ctx.signal });
      return response.text();
    },
  });
  const manager = createTaskManager({ providers: [gpu], coordinator, timeout: 10_000 });
  report({ type: 'ready' });
  const outcomes = Array.from({ length: tasks }, () =>
    manager.run({ provider: 'gpu', payload: null }).then((outcome) => report({ type: 'outcome', tag: outcome._tag })),
  );
  await Promise.all(outcomes);
  await manager.shutdown();
  await coordinator.close(); // the manager does not close a coordinator it was given
  report({ type: 'done' });
  process.disconnect?.();
}

// ---------------------------------------------------------------------------------------------
// The operator: Redis, the servers, the workers, and a live view
// ---------------------------------------------------------------------------------------------

async function operator(): Promise<void> {
  const started = Date.now();
  const redis = process.env['REDIS_URL'] === undefined ? await startRedis() : undefined;
  const redisUrl = process.env['REDIS_URL'] ?? (redis as LocalRedis).url;
  const http = await startServers();
  const limits = { [http.url('gpu-1')]: 2, [http.url('gpu-2')]: 2 };
  // The operator is an instance too: it writes the limits every worker reads at start.
  const console_ = await redisSlotCoordinator({ redis: redisUrl, instanceName: 'operator', leaseMs: LEASE_MS, limits });
  console_.errors$.subscribe((error) => console.error(`  redis: ${error.message}`));
  console.log(`Redis ${redisUrl}${redis ? ' (started for this demo)' : ''}; servers ${http.url('gpu-1')}, ${http.url('gpu-2')}`);

  const workers = WORKERS.map(([name, tasks]) => startWorker(name, tasks, redisUrl, http.base));
  const deadline = setTimeout(() => void finish('took longer than 25 s'), 25_000);
  await Promise.all(workers.map((w) => w.ready));
  console.log(`3 workers running ${WORKERS.map(([n, t]) => `${n}: ${t}`).join(', ')} tasks; limits gpu-1 2, gpu-2 2\n`);

  const view = setInterval(() => void printLine(), 250);
  const events = (async () => {
    await sleep(1_500);
    console_.setLimit(http.url('gpu-2'), 3);
    console.log('  >> operator raises gpu-2 to 3 (every worker uses it at once)');
    await sleep(1_500);
    const held = http.current('gpu-1', 'w3') + http.current('gpu-2', 'w3');
    workers[2]?.child.kill('SIGKILL');
    console.log(`  >> w3 killed with SIGKILL while running ${held} request(s): its slots come back within ${LEASE_MS / 1_000} s`);
  })();

  await Promise.all(workers.slice(0, 2).map((w) => w.done));
  await events;
  await finish();

  async function printLine(): Promise<void> {
    const cells = await Promise.all(
      SERVERS.map(async (server) => {
        const { limit, waiters } = await console_.clusterBudget(http.url(server));
        const now = http.current(server);
        return `${server} ${'█'.repeat(now)}${'░'.repeat(Math.max(0, limit - now))} ${now}/${limit}${waiters ? ` (${waiters} waiting)` : ''}`;
      }),
    );
    const progress = workers.map((w) => `${w.name} ${w.finished}/${w.tasks}${w.killed ? ' ✝' : ''}`).join('  ');
    console.log(`${((Date.now() - started) / 1_000).toFixed(1).padStart(5)}s  ${cells.map((c) => c.padEnd(24)).join('  ')}  ${progress}`);
  }

  async function finish(problem?: string): Promise<void> {
    clearTimeout(deadline);
    clearInterval(view);
    console.log('');
    for (const server of SERVERS) {
      const limit = console_.limits().get(http.url(server)) ?? 1;
      console.log(`${server}: at most ${http.max(server)} request(s) at once (limit ${limit}) ${http.max(server) <= limit ? '✓' : '✗ OVER THE LIMIT'}`);
    }
    for (const w of workers) console.log(`${w.name}: ${w.finished}/${w.tasks} tasks finished${w.killed ? ' before it was killed' : ''}`);
    if (problem !== undefined) console.log(`stopped: ${problem}`);
    console.log(`${((Date.now() - started) / 1_000).toFixed(1)} s`);
    for (const w of workers) w.child.kill('SIGKILL');
    await console_.close();
    await http.close();
    redis?.stop();
    process.exitCode = problem === undefined ? 0 : 1;
  }
}

interface RunningWorker {
  readonly name: string;
  readonly tasks: number;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly done: Promise<void>;
  finished: number;
  killed: boolean;
}

function startWorker(name: string, tasks: number, redisUrl: string, httpBase: string): RunningWorker {
  const child = fork(fileURLToPath(import.meta.url), ['worker', name, String(tasks)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_URL: redisUrl, HTTP_BASE: httpBase },
  });
  const w: RunningWorker = { name, tasks, child, ready: Promise.resolve(), done: Promise.resolve(), finished: 0, killed: false };
  const ready = new Promise<void>((resolve) => child.on('message', (m: WorkerReport) => m.type === 'ready' && resolve()));
  const done = new Promise<void>((resolve) => {
    child.on('message', (m: WorkerReport) => {
      if (m.type === 'outcome') w.finished++;
      if (m.type === 'done') resolve();
    });
    child.on('exit', (_code, signal) => {
      w.killed = signal === 'SIGKILL';
      resolve();
    });
  });
  return Object.assign(w, { ready, done });
}

// ---------------------------------------------------------------------------------------------
// The two "servers": one HTTP server, one path each, counting concurrent requests
// ---------------------------------------------------------------------------------------------

interface Servers {
  readonly base: string;
  url(server: string): string;
  current(server: string, who?: string): number;
  max(server: string): number;
  close(): Promise<void>;
}

async function startServers(): Promise<Servers> {
  const live = new Map<string, Map<string, number>>(); // server -> worker -> requests in progress
  const max = new Map<string, number>();
  const count = (server: string): number => [...(live.get(server)?.values() ?? [])].reduce((a, b) => a + b, 0);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.pathname.slice(1);
    const who = url.searchParams.get('who') ?? '?';
    const byWho = live.get(name) ?? new Map<string, number>();
    live.set(name, byWho);
    byWho.set(who, (byWho.get(who) ?? 0) + 1);
    max.set(name, Math.max(max.get(name) ?? 0, count(name)));
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      byWho.set(who, (byWho.get(who) ?? 1) - 1);
    };
    const timer = setTimeout(() => {
      end(); // counted as finished before the client hears it and starts another
      res.end('ok');
    }, Number(url.searchParams.get('ms') ?? '50'));
    res.on('close', () => {
      clearTimeout(timer);
      end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    current: (name, who) => (who === undefined ? count(name) : (live.get(name)?.get(who) ?? 0)),
    max: (name) => max.get(name) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}
