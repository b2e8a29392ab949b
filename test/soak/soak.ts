/**
 * Chaos soak: N tasks through 10 providers × 20 servers in virtual time, with 5% failing tasks,
 * 1% hanging past their timeout (half of them ignore their aborted signal and hold the slot until
 * abandoned), 1% cancelled within 40 ms of submission (queued, running or in a backoff), and limits
 * changed every (virtual) second.
 *
 * Checks: every task has exactly the outcome its kind and its cancel call predict (so the counts
 * add up exactly), no budget ever runs more attempts than the limit in force, nothing is left
 * running or holding a slot, and the heap after GC ends within 10% of where it started.
 *
 * `npm run soak` runs 1,000,000 tasks (override with SOAK_TASKS=...); test/soak/soak.spec.ts runs
 * the same code with 50,000 in CI.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { NEVER, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createTaskManager, localSlotCoordinator, normalizeServerKey, type Provider, type ShutdownReport, type TaskEvent } from '../../src/index.js';
import { seeded } from '../helpers/invariants.js';
import { virtualPromise, work } from '../helpers/virtual.js';

export interface SoakOptions {
  readonly tasks: number;
  readonly seed?: number;
  /** Print progress lines to stdout. */
  readonly log?: boolean;
}

export interface SoakResult {
  readonly tasks: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly expected: { readonly succeeded: number; readonly failed: number; readonly cancelled: number };
  readonly designed: { readonly fail: number; readonly hang: number; readonly ignore: number; readonly cancelCalls: number };
  readonly attempts: number;
  readonly limitChanges: number;
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly gcAvailable: boolean;
  readonly heapStartMB: number;
  readonly heapEndMB: number;
  readonly heapAfterShutdownMB: number;
  readonly heapGrowth: number;
  readonly report: ShutdownReport | undefined;
  /** Broken promises; empty on a good run. */
  readonly violations: readonly string[];
}

const PROVIDERS = 10;
const HOSTS = 5;
const PER_HOST = 4; // 20 servers
const TIMEOUT_MS = 200;
const WINDOW = 3000; // live tasks kept in flight by the feeder
const FEED_EVERY_MS = 5;
const LIMIT_CHANGE_EVERY_MS = 1000;

// Kinds, stored one byte per task.
const OK = 0;
const FAIL = 1;
const HANG = 2; // an Observable that never emits: unsubscribed at its timeout
const IGNORE = 3; // a Promise that ignores its signal and settles long after: abandoned

// Outcome codes, one byte per task.
const SUCCEEDED = 1;
const FAILED = 2;
const CANCELLED = 3;

/** A `gc()` even without --expose-gc (V8 lets a flag be set at run time). */
function findGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function heapMB(gc: (() => void) | undefined): number {
  if (gc !== undefined) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const n = options.tasks;
  const random = seeded(options.seed ?? 2024);
  const jitter = seeded((options.seed ?? 2024) + 1);
  const log = options.log === true ? (line: string) => process.stdout.write(`${line}\n`) : () => undefined;
  const violations: string[] = [];
  const fail = (message: string): void => {
    if (violations.length < 100) violations.push(message);
  };
  const gc = findGc();
  const started = performance.now();

  // Per-task state in flat arrays, allocated before the first heap reading.
  const kinds = new Uint8Array(n);
  const outcomeOf = new Uint8Array(n);
  const outcomeCount = new Uint8Array(n);
  const cancelHit = new Uint8Array(n);

  const servers: string[] = [];
  for (let h = 0; h < HOSTS; h++) for (let s = 0; s < PER_HOST; s++) servers.push(`https://h${h}.example.com/api/s${s}?pool=${h}`);
  const prefixes = ['https://h0.example.com', 'https://h1.example.com/api', 'https://h2.example.com/api/s1'];
  const limitKeys = [...servers.map(normalizeServerKey), ...prefixes];
  const coordinator = localSlotCoordinator({ limits: { 'https://h0.example.com': 6, 'https://h1.example.com/api': 5 }, defaultLimit: 3 });

  // Slot holding per server key, checked against the budget in force at every attempt start.
  const perServer = new Map<string, number>();
  const holding = new Map<string, string>(); // `${id}#${attempt}` -> server key
  let attempts = 0;
  const startAttempt = (id: string, attempt: number, server: string): void => {
    attempts++;
    const key = normalizeServerKey(server);
    perServer.set(key, (perServer.get(key) ?? 0) + 1);
    holding.set(`${id}#${attempt}`, key);
    const budget = coordinator.budgetOf(key);
    let inBudget = 0;
    for (const [serverKey, count] of perServer) if (coordinator.budgetOf(serverKey) === budget) inBudget += count;
    const { limit } = coordinator.budget(budget);
    if (inBudget > limit) fail(`budget ${budget}: ${inBudget} attempts > limit ${limit} at ${id}#${attempt}`);
  };
  const endAttempt = (id: string, attempt: number): void => {
    const handle = `${id}#${attempt}`;
    const key = holding.get(handle);
    if (key === undefined) return;
    holding.delete(handle);
    perServer.set(key, (perServer.get(key) ?? 1) - 1);
  };

  const scheduler = new TestScheduler(() => undefined);
  scheduler.maxFrames = Infinity; // not in run mode: flush everything, however far ahead
  const held = <T>(id: string, attempt: number, server: string, inner: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      startAttempt(id, attempt, server);
      const subscription = inner.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        endAttempt(id, attempt);
      };
    });

  const providers: Provider[] = [];
  for (let p = 0; p < PROVIDERS; p++) {
    const pool = servers.filter(() => random() < 0.3);
    if (pool.length === 0) pool.push(servers[p % servers.length] as string);
    providers.push({
      name: `provider-${p}`,
      servers: pool,
      handle: (task, ctx) => {
        const i = task.payload as number;
        switch (kinds[i]) {
          case FAIL:
            return held(task.id, ctx.attempt, ctx.server, new Observable((s) => work(5 + (i % 20), 0, scheduler).subscribe({ complete: () => s.error(new Error(`fail ${i}`)) })));
          case HANG:
            return held(task.id, ctx.attempt, ctx.server, NEVER);
          case IGNORE: {
            startAttempt(task.id, ctx.attempt, ctx.server);
            const promise = virtualPromise(TIMEOUT_MS + 300, i, scheduler);
            promise.then(() => endAttempt(task.id, ctx.attempt));
            return promise;
          }
          default:
            return held(task.id, ctx.attempt, ctx.server, work(5 + (i % 40), i, scheduler));
        }
      },
    });
  }

  const m = createTaskManager({
    providers,
    coordinator,
    scheduler,
    random: jitter,
    timeout: TIMEOUT_MS,
    abandonAfterMs: 100,
    retry: { maxRetries: 1, backoff: { initialDelayMs: 20, maxDelayMs: 500, jitter: 'full' } },
  });

  let finished = 0;
  m.events$.subscribe((event: TaskEvent) => {
    switch (event.type) {
      case 'abandoned':
        endAttempt(event.id, event.attempt);
        return;
      case 'succeeded':
      case 'failed':
      case 'cancelled': {
        const i = Number(event.id.slice(1));
        outcomeCount[i] = (outcomeCount[i] as number) + 1;
        outcomeOf[i] = event.type === 'succeeded' ? SUCCEEDED : event.type === 'failed' ? FAILED : CANCELLED;
        finished++;
        return;
      }
      default:
    }
  });

  let submitted = 0;
  let cancelCalls = 0;
  const designed = { fail: 0, hang: 0, ignore: 0 };
  const submitOne = (): void => {
    const i = submitted++;
    const roll = random();
    const kind = roll < 0.05 ? FAIL : roll < 0.055 ? HANG : roll < 0.06 ? IGNORE : OK;
    kinds[i] = kind;
    if (kind === FAIL) designed.fail++;
    else if (kind === HANG) designed.hang++;
    else if (kind === IGNORE) designed.ignore++;
    const id = `t${i}`;
    const r = m.submit({ provider: `provider-${Math.floor(random() * PROVIDERS)}`, payload: i, id, priority: Math.floor(random() * 5) });
    if (r._tag === 'Left') fail(`${id} refused: ${JSON.stringify(r.left)}`);
    if (random() < 0.01) {
      cancelCalls++;
      scheduler.schedule(() => {
        const result = m.cancel(id);
        if (result._tag === 'NotFound') {
          if (outcomeCount[i] === 0) fail(`cancel of the live task ${id} returned NotFound`);
        } else if (result._tag === 'ShutDown') {
          fail(`cancel of ${id} returned ShutDown`);
        } else {
          cancelHit[i] = 1;
        }
      }, Math.floor(random() * 40));
    }
  };

  // The feeder keeps WINDOW tasks in flight until `feedTarget` tasks are submitted; limits change
  // every second while a phase has work left (so a phase's flush ends when its tasks are done).
  let feedTarget = 0;
  let feeding = false;
  let changing = false;
  let limitChanges = 0;
  const feed = (): void => {
    while (submitted < feedTarget && submitted - finished < WINDOW) submitOne();
    if (submitted < feedTarget) scheduler.schedule(feed, FEED_EVERY_MS);
    else feeding = false;
  };
  const changeLimits = (): void => {
    if (finished >= feedTarget) {
      changing = false;
      return;
    }
    for (let k = 0; k < 3; k++) {
      const key = limitKeys[Math.floor(random() * limitKeys.length)] as string;
      const roll = random();
      if (roll < 0.1) m.removeServerLimit(key);
      else m.setServerLimit(key, roll < 0.15 ? 0 : 1 + Math.floor(random() * 8));
      limitChanges++;
    }
    // A budget paused at 0 stays paused for most of one period, not for ever.
    scheduler.schedule(() => {
      for (const [key, limit] of coordinator.limits()) if (limit === 0) m.setServerLimit(key, 2);
    }, LIMIT_CHANGE_EVERY_MS - 1);
    scheduler.schedule(changeLimits, LIMIT_CHANGE_EVERY_MS);
  };
  const runUntilIdle = (upTo: number): void => {
    feedTarget = upTo;
    if (!feeding) {
      feeding = true;
      scheduler.schedule(feed, 0);
    }
    if (!changing) {
      changing = true;
      scheduler.schedule(changeLimits, LIMIT_CHANGE_EVERY_MS);
    }
    scheduler.flush();
  };

  // Warm-up (JIT, lazily built structures), then the baseline heap, then the rest.
  const warmup = Math.min(n, Math.max(1000, Math.floor(n / 20)));
  runUntilIdle(warmup);
  const heapStartMB = heapMB(gc);
  log(`warm-up: ${warmup} tasks, heap ${heapStartMB.toFixed(1)} MB (gc ${gc !== undefined ? 'on' : 'off'})`);
  const step = Math.max(warmup, Math.floor(n / 10));
  for (let target = warmup + step; ; target += step) {
    runUntilIdle(Math.min(n, target));
    log(`${Math.min(n, target)} tasks: virtual ${(scheduler.now() / 1000).toFixed(0)} s, wall ${((performance.now() - started) / 1000).toFixed(1)} s, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MB`);
    if (target >= n) break;
  }
  const heapEndMB = heapMB(gc);

  // End state with the manager still alive: nothing queued, running or held.
  for (const [name, p] of Object.entries(m.stats().providers)) {
    if (p.queued !== 0 || p.running !== 0 || p.waiting !== 0) fail(`${name} not idle: ${JSON.stringify(p)}`);
  }
  for (const key of limitKeys) {
    const { inUse } = coordinator.budget(coordinator.budgetOf(key));
    if (inUse !== 0) fail(`budget of ${key} still has ${inUse} in use`);
  }
  if (holding.size !== 0) fail(`${holding.size} attempts still hold a slot`);

  const shutdown = m.shutdown();
  scheduler.flush();
  const report: ShutdownReport | undefined = await shutdown;
  if (report.succeeded + report.failed + report.cancelled !== n || report.unfinished.length !== 0) fail(`shutdown report ${JSON.stringify({ ...report, unfinished: report.unfinished.length })}`);

  // Exact accounting, task by task.
  let succeeded = 0;
  let failed = 0;
  let cancelled = 0;
  const expected = { succeeded: 0, failed: 0, cancelled: 0 };
  for (let i = 0; i < n; i++) {
    if (outcomeCount[i] !== 1) fail(`t${i}: ${outcomeCount[i]} outcomes`);
    const got = outcomeOf[i];
    const want = cancelHit[i] === 1 ? CANCELLED : kinds[i] === OK ? SUCCEEDED : FAILED;
    if (got !== want) fail(`t${i} (kind ${kinds[i]}, cancelled ${cancelHit[i]}): outcome ${got}, expected ${want}`);
    if (got === SUCCEEDED) succeeded++;
    else if (got === FAILED) failed++;
    else if (got === CANCELLED) cancelled++;
    if (want === SUCCEEDED) expected.succeeded++;
    else if (want === FAILED) expected.failed++;
    else expected.cancelled++;
  }
  const stats = m.stats().providers;
  const sum = (f: 'succeeded' | 'failed' | 'cancelled'): number => Object.values(stats).reduce((acc, p) => acc + p[f], 0);
  if (sum('succeeded') !== succeeded || sum('failed') !== failed || sum('cancelled') !== cancelled) {
    fail(`stats ${sum('succeeded')}/${sum('failed')}/${sum('cancelled')} != outcomes ${succeeded}/${failed}/${cancelled}`);
  }
  const virtualMs = scheduler.now();
  const heapAfterShutdownMB = heapMB(gc);
  const heapGrowth = (heapEndMB - heapStartMB) / heapStartMB;
  if (heapGrowth > 0.1) fail(`heap grew ${(heapGrowth * 100).toFixed(1)}%: ${heapStartMB.toFixed(1)} MB -> ${heapEndMB.toFixed(1)} MB`);
  return {
    tasks: n,
    succeeded,
    failed,
    cancelled,
    expected,
    designed: { ...designed, cancelCalls },
    attempts,
    limitChanges,
    virtualMs,
    wallMs: performance.now() - started,
    gcAvailable: gc !== undefined,
    heapStartMB,
    heapEndMB,
    heapAfterShutdownMB,
    heapGrowth,
    report,
    violations,
  };
}

/** `npm run soak`: the full million (or SOAK_TASKS), with progress and a summary; exits 1 on a violation. */
async function main(): Promise<void> {
  const tasks = Number(process.env['SOAK_TASKS'] ?? 1_000_000);
  process.stdout.write(`soak: ${tasks.toLocaleString('en')} tasks, ${PROVIDERS} providers x ${HOSTS * PER_HOST} servers, virtual time\n`);
  const result = await runSoak({ tasks, log: true });
  const { violations, report, ...figures } = result;
  process.stdout.write(`${JSON.stringify({ ...figures, report: report && { ...report, unfinished: report.unfinished.length } }, null, 2)}\n`);
  if (violations.length > 0) {
    process.stdout.write(`VIOLATIONS (${violations.length}):\n${violations.join('\n')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('soak: every check passed\n');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
