/**
 * Flaky servers: three "servers" that fail or hang at random, and what smt-rx makes of it.
 *
 *   npx tsx examples/flaky-servers.ts
 *
 * It prints every retry with its backoff delay, every attempt that timed out (its AbortSignal is
 * aborted, and the simulated request stops), and finally each task's one outcome.
 */
import { createTaskManager, defineProvider, isTaskTimeoutError, NonRetryableError, type Task } from '../src/index.js';

/** A seeded random source, so every run tells the same story. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const chaos = seeded(7);

/** A request that takes `ms`, and stops at once when its signal is aborted. */
function request(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

interface Job {
  readonly name: string;
}

const api = defineProvider({
  name: 'api',
  servers: ['https://a.flaky.example', 'https://b.flaky.example', 'https://c.flaky.example'],
  handle: async (task: Task<Job>, ctx) => {
    const roll = chaos();
    if (task.payload.name === 'bad-input') throw new NonRetryableError(new Error('400 Bad Request'));
    if (roll < 0.3) {
      await request(20, ctx.signal);
      throw new Error(`503 from ${ctx.server}`);
    }
    if (roll < 0.45) {
      await request(5_000, ctx.signal); // hangs: the 150 ms timeout aborts it
      return 'late';
    }
    await request(30 + Math.floor(roll * 60), ctx.signal);
    return `${task.payload.name} done on ${ctx.server} (attempt ${ctx.attempt})`;
  },
});

const manager = createTaskManager({
  providers: [api],
  defaultServerLimit: 2,
  timeout: 150,
  retry: { maxRetries: 3, backoff: { initialDelayMs: 50, multiplier: 2, maxDelayMs: 1_000, jitter: 'full' } },
  random: seeded(42),
});

const started = Date.now();
const t = (): string => `${String(Date.now() - started).padStart(5)} ms`;

manager.events$.subscribe((event) => {
  if (event.type === 'retrying') {
    const why = isTaskTimeoutError(event.error) ? 'timed out (signal aborted)' : String((event.error as Error).message);
    console.log(`${t()}  ${event.id}: attempt ${event.attempt} ${why}; retry in ${event.delayMs} ms`);
  }
  if (event.type === 'abandoned') console.log(`${t()}  ${event.id}: handler ignored its signal, slot released`);
});

const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'bad-input', 'india'];
const outcomes = await Promise.all(names.map((name) => manager.run({ provider: 'api', payload: { name }, id: name })));

console.log('\nOutcomes');
for (const outcome of outcomes) {
  const detail =
    outcome._tag === 'Succeeded'
      ? outcome.value
      : outcome._tag === 'Failed'
        ? `failed after ${outcome.attempts} attempt(s): ${isTaskTimeoutError(outcome.error) ? 'timeout' : (outcome.error as Error).message}`
        : `cancelled (${outcome.reason})`;
  console.log(`  ${outcome.id.padEnd(10)} ${outcome._tag.padEnd(10)} ${String(outcome.elapsedMs).padStart(5)} ms  ${detail}`);
}

const report = await manager.shutdown();
console.log(`\n${report.succeeded} succeeded, ${report.failed} failed; retries: ${manager.stats().providers['api']?.retries}`);
