// A provider's pipeline built by hand from the public operators, with the manager's guarantees:
// commands before tasks, priority then FIFO, per-server limits that hold even when a handler ignores
// its aborted signal, retries that give the slot back during their backoff and re-enter the queue at
// their priority. `npx tsx examples/compose.ts` runs it; test/examples/compose.spec.ts checks it.
import { catchError, defer, from, map, merge, of, Subject } from 'rxjs';
import { localSlotCoordinator } from '../src/index.js';
import {
  attemptTimeout,
  compareRanked,
  LevelQueue,
  prioritySlots,
  requeueWithBackoff,
  SlotBroker,
  type AttemptResult,
  type Ranked,
} from '../src/operators/index.js';

/** A job carries its rank: lane 0 for commands, then priority, then its submission number. */
interface Job extends Ranked {
  readonly id: string;
  readonly lane: 0 | 1;
  attempts: number;
}

type Result = AttemptResult<Job, string>;

export interface ComposeReport {
  /** The most handlers that ran at once on the one server (its limit is `limit`). */
  readonly maxConcurrent: number;
  readonly limit: number;
  /** The order in which the jobs' first attempts started. */
  readonly startOrder: readonly string[];
  /** Each job's outcome: its value, or its last error's message. */
  readonly outcomes: ReadonlyMap<string, string>;
}

/** Runs 8 jobs on one server of limit 2; 'slow-*' handlers take 60 ms and ignore their signal. */
export function runComposed(): Promise<ComposeReport> {
  const limit = 2;
  const server = 'https://render.example.com';
  const coordinator = localSlotCoordinator({ limits: { [server]: limit } });
  const broker = new SlotBroker<Job>({ coordinator, compare: compareRanked });
  const queue = new LevelQueue<Job>();
  const tasks$ = new Subject<Job>();
  const commands$ = new Subject<Job>();

  let running = 0;
  let maxConcurrent = 0;
  const startOrder: string[] = [];
  const outcomes = new Map<string, string>();

  // The handler: a Promise that ignores its signal on purpose (the hard case for a limit).
  const handler = (job: Job): Promise<string> => {
    running++;
    maxConcurrent = Math.max(maxConcurrent, running);
    if (job.attempts === 1) startOrder.push(job.id);
    const ms = job.id.startsWith('slow') ? 60 : 10;
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        running--;
        if (job.id === 'flaky' && job.attempts === 1) reject(new Error('503'));
        else resolve(`${job.id} done`);
      }, ms),
    );
  };

  // One attempt: abort at 20 ms, but keep the slot until the Promise has settled (graceMs:
  // Infinity), so the server never runs more than its limit.
  const attempt = (job: Job) => {
    job.attempts++;
    const controller = new AbortController();
    return defer(() => from(handler(job))).pipe(
      attemptTimeout({ timeoutMs: 20, graceMs: Infinity, controller, taskId: job.id, server }),
      map((value): Result => ({ item: job, ok: true, value })),
      catchError((error: unknown) => of<Result>({ item: job, ok: false, error })),
    );
  };

  return new Promise((resolve) => {
    let pending = 0;
    const settle = (job: Job, text: string): void => {
      outcomes.set(job.id, text);
      if (--pending === 0) {
        subscription.unsubscribe();
        resolve({ maxConcurrent, limit, startOrder, outcomes });
      }
    };
    const subscription = merge(tasks$, commands$)
      .pipe(
        prioritySlots({ queue, broker, servers: [server], work: attempt }),
        // A failed attempt's retry holds no slot while it waits, then re-enters the queue at its
        // priority and seq; each job's final result comes out.
        requeueWithBackoff({ maxRetries: 2, backoff: { initialDelayMs: 5, jitter: 'none' }, requeue: (job) => tasks$.next(job) }),
      )
      .subscribe((result) => {
        if (result.ok) settle(result.item, result.value);
        else settle(result.item, result.error instanceof Error ? result.error.message : String(result.error));
      });

    let seq = 0;
    const submit = (id: string, priority: number, lane: 0 | 1 = 1): void => {
      pending++;
      (lane === 0 ? commands$ : tasks$).next({ id, lane, priority, seq: seq++, attempts: 0 });
    };
    submit('slow-a', 0);
    submit('slow-b', 0);
    submit('low', 0);
    submit('flaky', 1);
    submit('high', 5);
    submit('also-high', 5);
    submit('warm-cache', 0, 0); // a command: ahead of every task
    submit('slow-c', 0);
  });
}

// Run directly: print what happened.
if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runComposed();
  console.log(`at most ${report.maxConcurrent} handler(s) at once on a server of limit ${report.limit}`);
  console.log(`first attempts started in this order: ${report.startOrder.join(', ')}`);
  for (const [id, outcome] of report.outcomes) console.log(`  ${id}: ${outcome}`);
}
