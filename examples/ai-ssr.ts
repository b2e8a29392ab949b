/**
 * smt-rx demo (`npm run demo`): one task manager schedules two workloads.
 *
 *   ai   LLM inference on 2 GPU servers          150–600 ms per task, priority 0
 *   ssr  server-side rendering on 3 Node servers  20–120 ms per page, priority 10
 *
 * Nothing goes over the network: the handlers simulate the work with timers, and both honour
 * `ctx.signal` (a timed-out or cancelled attempt stops at once and frees its slot). About 500
 * tasks arrive over 5 s; a few of them fail, hang or are cancelled on purpose, so the run shows
 * retries with backoff, timeouts, a non-retryable error, cancellation and an administrative
 * command. A live progress block (from `manager.stats$`) is followed by a summary (from
 * `manager.events$`). In your own code, import from 'smt-rx' instead of '../src/index.js'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from, lastValueFrom, map, mergeMap, tap, timer } from 'rxjs';
import {
  createTaskManager,
  defineProvider,
  isTaskTimeoutError,
  NonRetryableError,
  type AttemptContext,
  type Task,
  type TaskInput,
  type TaskOutcome,
} from '../src/index.js';
import { serveDashboard } from './lib/dashboardServer.js';
import { formatMs, formatTable, glyph, percentile, shortName } from './lib/format.js';
import { ProgressView } from './lib/progress.js';

// ---------------------------------------------------------------------------------------------
// 1. The servers and their limits
// ---------------------------------------------------------------------------------------------

const GPU_SERVERS = ['https://gpu-1.internal/v1', 'https://gpu-2.internal/v1'];

// Three Node renderers. The third runs on gpu-2's host: that machine has CPUs to spare, so it
// renders pages beside serving the model.
const NODE_SERVERS = ['http://node-1.internal:3000', 'http://node-2.internal:3000', 'https://gpu-2.internal/ssr'];

// A limit is keyed by a server URL or by a URL prefix; every server draws on exactly one budget,
// the longest key that covers it. A prefix is ONE budget for everything under it, whichever
// provider lists it: gpu-2's ingress takes 4 requests at a time, so the prefix
// `https://gpu-2.internal` makes ai's `/v1` and ssr's `/ssr` share those 4 slots. When both
// providers wait for that budget, the most urgent task takes a freed slot — here ssr, whose
// priority is higher. Servers no key covers (node-1, node-2) get `defaultServerLimit` each.
const serverLimits = {
  'https://gpu-1.internal': 3,
  'https://gpu-2.internal': 4, // shared by ai and ssr
};

// ---------------------------------------------------------------------------------------------
// 2. The providers: what one attempt of a task does
// ---------------------------------------------------------------------------------------------

/** What goes wrong in one attempt: a transient error, a hang (the attempt times out), or an error no retry can fix. */
type Fault = 'error' | 'hang' | 'fatal';

interface AiJob {
  readonly prompt: string;
  readonly durationMs: number;
  /** `faults[n]` is what goes wrong in attempt n + 1; past its end, attempts succeed. */
  readonly faults: readonly Fault[];
}
interface AiResult {
  readonly tokens: number;
}

interface SsrJob {
  readonly path: string;
  readonly durationMs: number;
  readonly faults: readonly Fault[];
}
interface SsrResult {
  readonly path: string;
  readonly bytes: number;
}

// An Observable handler: the manager unsubscribes it when the attempt is aborted (timeout,
// cancel, forced shutdown), which clears the timer. That is how it honours `ctx.signal`.
const ai = defineProvider({
  name: 'ai',
  servers: GPU_SERVERS,
  handle: (task: Task<AiJob>, ctx: AttemptContext) => {
    const fault = task.payload.faults[ctx.attempt - 1];
    return timer(fault === 'hang' ? 60_000 : task.payload.durationMs).pipe(
      map((): AiResult => {
        if (fault === 'error') throw new Error('CUDA out of memory');
        // NonRetryableError: the task fails now, with no retries left unused.
        if (fault === 'fatal') throw new NonRetryableError(new Error('prompt is longer than the context window'));
        return { tokens: Math.round(task.payload.durationMs / 3) };
      }),
    );
  },
});

// A Promise handler: `sleep` from node:timers/promises takes the signal and rejects as soon as
// it aborts.
const ssr = defineProvider({
  name: 'ssr',
  servers: NODE_SERVERS,
  handle: async (task: Task<SsrJob>, ctx: AttemptContext): Promise<SsrResult> => {
    const fault = task.payload.faults[ctx.attempt - 1];
    await sleep(fault === 'hang' ? 60_000 : task.payload.durationMs, undefined, { signal: ctx.signal });
    if (fault === 'error') throw new Error('ECONNRESET from the product API');
    return { path: task.payload.path, bytes: 20_000 + task.payload.path.length * 100 };
  },
});

// ---------------------------------------------------------------------------------------------
// 3. The manager
// ---------------------------------------------------------------------------------------------

const manager = createTaskManager({
  providers: [ai, ssr],
  serverLimits,
  defaultServerLimit: 3, // node-1 and node-2: 3 pages at a time each
  // Up to 2 retries per task. The wait before retry n is capped at 100 ms × 2^(n-1) (at most 1 s)
  // and, with full jitter, drawn at random below that cap, so that tasks which failed together do
  // not all come back at the same moment.
  retry: { maxRetries: 2, backoff: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 'full' } },
  // Per-attempt timeout by provider: a GPU attempt taking over 1 s, or a page over 300 ms, hangs.
  timeout: (_callbackName, provider) => (provider === 'ai' ? 1_000 : 300),
});


// ---------------------------------------------------------------------------------------------
// 4. The workload: ~500 tasks with realistic durations, generated from a fixed seed
// ---------------------------------------------------------------------------------------------

const AI_TASKS = 120;
const SSR_TASKS = 380;
const SSR_PRIORITY = 10; // a user waits for the page: ahead of any ai task on a shared server
const AI_PRIORITY = 0;

/** A small seeded PRNG (mulberry32): the same workload on every run. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(7);
const between = (min: number, max: number): number => Math.round(min + random() * (max - min));

/** ~5 % fail once, ~3 % hang once (and time out), ~1 % fail every attempt; ai only: ~1 % unfixable. */
function pickFaults(canBeFatal: boolean): readonly Fault[] {
  const r = random();
  if (r < 0.05) return ['error'];
  if (r < 0.08) return ['hang'];
  if (r < 0.09) return ['error', 'error', 'error'];
  if (canBeFatal && r < 0.1) return ['fatal'];
  return [];
}

/** A task and the moment (ms after start) it arrives. */
interface Arrival<P, N extends string> {
  readonly at: number;
  readonly input: TaskInput<P, N>;
}

// ai: a batch of 40 summaries at once, then steady chat traffic over 4 s.
const aiArrivals: Arrival<AiJob, 'ai'>[] = Array.from({ length: AI_TASKS }, (_, i) => ({
  at: i < 40 ? 0 : between(0, 4_000),
  input: {
    id: `ai-${i + 1}`,
    provider: 'ai',
    priority: AI_PRIORITY,
    payload: { prompt: `summarise document #${i + 1}`, durationMs: between(150, 600), faults: pickFaults(true) },
  },
}));

// ssr: steady page views over 5 s, plus a spike of 80 pages at 2 s (a crawler).
const SPIKE_AT = 2_000;
const SPIKE_PAGES = 80;
const ssrArrivals: Arrival<SsrJob, 'ssr'>[] = Array.from({ length: SSR_TASKS }, (_, i) => ({
  at: i < SPIKE_PAGES ? SPIKE_AT : between(0, 5_000),
  input: {
    id: `ssr-${i + 1}`,
    provider: 'ssr',
    priority: SSR_PRIORITY,
    payload: { path: `/products/${i + 1}`, durationMs: between(20, 120), faults: pickFaults(false) },
  },
}));

// ---------------------------------------------------------------------------------------------
// 5. Watching: per-provider tallies from events$ (the summary), live progress from stats$
// ---------------------------------------------------------------------------------------------

const COMMAND_ID = 'reload-model';

interface Tally {
  succeeded: number;
  failed: number;
  cancelled: number;
  retries: number;
  timeouts: number;
  /** Submit -> success, in ms: includes queueing, backoffs and retries. */
  latencies: number[];
}
const tallies = new Map<string, Tally>(
  ['ai', 'ssr'].map((name) => [name, { succeeded: 0, failed: 0, cancelled: 0, retries: 0, timeouts: 0, latencies: [] }]),
);
/** Attempts started per server, to see where the work went. */
const attemptsByServer = new Map<string, number>();
/** ai tasks running right now (the cancel demo picks one). */
const aiRunning = new Set<string>();

const startedAt = performance.now();
const progress = new ProgressView(
  process.stdout,
  'smt-rx demo: ai on 2 GPU servers, ssr on 3 Node servers',
  [
    // The command runs on ai's lane and is counted in ai's stats: one more than its tasks.
    { provider: 'ai', total: AI_TASKS + 1 },
    { provider: 'ssr', total: SSR_TASKS },
  ],
  manager.stats(),
);

// events$ is hot: subscribe before submitting anything. It completes at shutdown.
manager.events$.subscribe((event) => {
  if (event.type === 'started') attemptsByServer.set(event.server, (attemptsByServer.get(event.server) ?? 0) + 1);
  if (event.provider === 'ai' && event.id !== COMMAND_ID) {
    if (event.type === 'started') aiRunning.add(event.id);
    else aiRunning.delete(event.id);
  }
  const tally = tallies.get(event.provider);
  if (tally === undefined || event.id === COMMAND_ID) return; // the command is reported on its own
  switch (event.type) {
    case 'retrying':
      tally.retries++;
      if (isTaskTimeoutError(event.error)) tally.timeouts++;
      break;
    case 'succeeded':
      tally.succeeded++;
      tally.latencies.push(event.elapsedMs);
      break;
    case 'failed':
      tally.failed++;
      progress.log(`${glyph.failed} ${event.id} failed after ${plural(event.attempts, 'attempt')}: ${errorMessage(event.error)}`);
      break;
    case 'cancelled':
      tally.cancelled++;
      break;
  }
});

// stats$ gives the current snapshot at once, then one per change; the view throttles it.
progress.attach(manager.stats$);

// ---------------------------------------------------------------------------------------------
// 6. Cancellation and a command, in the middle of the run
// ---------------------------------------------------------------------------------------------

/** A user closes the chat: cancel their three ai tasks, wherever they are. */
function cancelChat(ids: readonly string[]): void {
  for (const id of ids) {
    // RemovedFromQueue, InterruptedRunning (the handler's signal aborts), CancelledWhileWaiting
    // (in a retry's backoff) or NotFound (already finished).
    const result = manager.cancel(id);
    progress.log(`${glyph.cancel} cancel ${id}: ${result._tag}${result._tag === 'InterruptedRunning' ? ` on ${result.server}` : ''}`);
  }
}

interface ReloadResult {
  readonly model: string;
  readonly server: string;
}

interface CommandReport {
  readonly outcome: TaskOutcome<ReloadResult>;
  /** ai tasks in the queue when the command was submitted. */
  readonly queuedAhead: number;
  /** ai tasks that started between the command's submission and its start: 0, it jumps the queue. */
  readonly startedBeforeIt: number;
  /** From submission to start: waiting for a GPU slot to free. */
  readonly waitedMs: number | undefined;
}

/**
 * An administrative action on ai's command lane: load a new model version. Commands wait in the
 * same queue as tasks but always ahead of them, take the next free slot of the provider's pool,
 * and resolve with their own result.
 */
async function reloadModel(): Promise<CommandReport> {
  const queuedAhead = manager.stats().providers['ai']?.queued ?? 0;
  let startedBeforeIt = 0;
  let commandStartedAt: number | undefined;
  const watch = manager.events$.subscribe((event) => {
    if (event.provider !== 'ai' || event.type !== 'started') return;
    if (event.id === COMMAND_ID) commandStartedAt ??= event.at;
    else if (commandStartedAt === undefined) startedBeforeIt++;
  });
  const submittedAt = Date.now(); // the default scheduler's clock, as in events' `at`
  const submitted = manager.command<ReloadResult>(
    'ai',
    (ctx) => timer(250).pipe(map((): ReloadResult => ({ model: 'summariser-v2', server: ctx.server }))),
    { id: COMMAND_ID, timeoutMs: 5_000 },
  );
  if (submitted._tag === 'Left') throw new Error(`command rejected: ${submitted.left._tag}`);
  progress.log(`${glyph.command} command ${COMMAND_ID} submitted to ai, ahead of ${queuedAhead} queued ai tasks`);
  const outcome = await firstValueFrom(submitted.right.outcome$);
  watch.unsubscribe();
  progress.log(`${glyph.command} command ${COMMAND_ID}: ${outcome._tag}${outcome._tag === 'Succeeded' ? ` on ${outcome.value.server}` : ''}`);
  const waitedMs = commandStartedAt === undefined ? undefined : commandStartedAt - submittedAt;
  return { outcome, queuedAhead, startedBeforeIt, waitedMs };
}

// ---------------------------------------------------------------------------------------------
// 7. Run: submit on schedule, cancel, command, then drain and shut down
// ---------------------------------------------------------------------------------------------

/** Submits each task at its arrival time; completes when the last one is submitted. */
function submitAll(arrivals: ReadonlyArray<Arrival<AiJob, 'ai'> | Arrival<SsrJob, 'ssr'>>): Promise<unknown> {
  return lastValueFrom(
    from(arrivals).pipe(
      mergeMap((arrival) => timer(arrival.at).pipe(map(() => arrival.input))),
      tap((input) => {
        const submitted = manager.submit(input);
        if (submitted._tag === 'Left') progress.log(`rejected ${input.id ?? '?'}: ${submitted.left._tag}`);
      }),
    ),
    { defaultValue: undefined },
  );
}

async function main(): Promise<void> {
  // The same run in a browser: smt-rx/dashboard on a local port (see lib/dashboardServer.ts).
  const board = await serveDashboard(manager, 'smt-rx demo');
  progress.log(`dashboard: ${board.url} (live while the demo runs)`);
  const submitting = submitAll([...aiArrivals, ...ssrArrivals]);

  await sleep(1_000);
  // Two tasks that are still queued, and one that is running now.
  cancelChat(['ai-39', 'ai-40', [...aiRunning][0] ?? 'ai-1']);

  await sleep(500);
  const command = reloadModel();

  await sleep(SPIKE_AT - 1_500);
  // The spike fills node-1 and node-2, and ssr (priority 10) takes every slot of gpu-2's shared
  // budget as it frees: ai runs on gpu-1 alone until the spike is over. Watch ai's `running`.
  progress.log(`${glyph.spike} ${SPIKE_PAGES} ssr pages arrive at once (a crawler): ssr outranks ai on the shared gpu-2 budget`);

  await submitting;
  // Drain: accept nothing new, let every queued and running task finish, then stop. The report
  // counts outcomes (the command included) and lists what did not finish.
  const report = await manager.shutdown({ mode: 'drain' });
  const commandReport = await command;
  progress.stop(manager.stats());
  await board.close();
  const totalMs = performance.now() - startedAt;

  printSummary(commandReport);
  console.log(
    `\nshutdown (${report.mode}): ${report.succeeded} succeeded, ${report.failed} failed, ` +
      `${report.cancelled} cancelled, ${report.unfinished.length} unfinished ${glyph.dot} total ${formatMs(totalMs)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// 8. The summary
// ---------------------------------------------------------------------------------------------

function printSummary(command: CommandReport): void {
  // Counts from the final stats, as the progress block shows them (commands included); timeouts
  // and latencies (of tasks, not the command) from the events.
  const stats = manager.stats();
  const rows = [...tallies].map(([provider, t]) => {
    const p = stats.providers[provider];
    const counts = p === undefined ? [] : [p.succeeded + p.failed + p.cancelled, p.succeeded, p.failed, p.cancelled, p.retries];
    return [provider, ...counts.map(String), String(t.timeouts), formatMs(percentile(t.latencies, 50)), formatMs(percentile(t.latencies, 95))];
  });
  console.log(`\nTasks (ai's include the command ${COMMAND_ID}; latency = submit ${glyph.arrow} success, including queueing and retries)\n`);
  console.log(
    formatTable(['provider', 'finished', 'succeeded', 'failed', 'cancelled', 'retries', 'timeouts', 'p50', 'p95'], rows),
  );

  // Where the attempts ran, by the budget each server draws on (from the stats): gpu-2's one
  // budget of 4 served both providers.
  console.log('\nAttempts per server\n');
  const byServer = Object.entries(stats.providers)
    .flatMap(([provider, p]) => Object.entries(p.budgetOf).map(([server, budget]) => ({ provider, server, budget })))
    .sort((a, b) => shortName(a.budget).localeCompare(shortName(b.budget)))
    .map(({ provider, server, budget }) => [
      server,
      provider,
      `${budget} (limit ${stats.servers[budget]?.limit ?? '?'})`,
      String(attemptsByServer.get(server) ?? 0),
    ]);
  console.log(formatTable(['server', 'provider', 'budget', 'attempts'], byServer));

  const { outcome } = command;
  const result = outcome._tag === 'Succeeded' ? JSON.stringify(outcome.value) : outcome._tag;
  console.log(`\nCommand ${COMMAND_ID} (ai): ${outcome._tag} in ${formatMs(outcome.elapsedMs)} ${glyph.arrow} ${result}`);
  console.log(
    `  submitted with ${command.queuedAhead} ai tasks queued; waited ${formatMs(command.waitedMs ?? Number.NaN)} ` +
      `for a GPU slot; ${plural(command.startedBeforeIt, 'queued task')} started before it`,
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

main().catch((error: unknown) => {
  progress.stop(manager.stats());
  console.error(error);
  process.exitCode = 1;
  // Stop at once: cancel what is queued, abort what runs, so the process can exit.
  void manager.shutdown({ mode: 'cancel', graceMs: 0 });
});
