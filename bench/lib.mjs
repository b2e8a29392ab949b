// Helpers shared by the child scripts in bench/systems: the child's entry point and its one-line
// JSON report, timing, GC and seeded inputs. Each child process is one measured run (README.md).
import { loadavg } from 'node:os';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

export { nextTurn, sleep };

/** Facts about the run that a helper adds to the child's JSON line (e.g. which smt-rx build it loaded). */
export const runFacts = {};

/**
 * Entry point of a child: `node --expose-gc <script> <system> <numbers…>` calls
 * `run(systems[system], ...numbers)` and prints `{ ok, system, ...result }` as one JSON line.
 * A thrown error (including a failed `check`) becomes `{ ok: false, error }`.
 */
export async function runChild(systems, run) {
  const [system, ...args] = process.argv.slice(2);
  let result;
  try {
    const prepare = systems[system];
    if (!prepare) throw new Error(`unknown system "${system}"; expected one of: ${Object.keys(systems).join(', ')}`);
    result = { ok: true, system, ...(await run(prepare, ...args.map(toNumber))) };
  } catch (error) {
    result = { ok: false, system, error: error instanceof Error ? error.message : String(error) };
  }
  Object.assign(result, runFacts);
  result.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  result.loadavg1 = loadavg()[0];
  // Exit explicitly: a scheduler under test may keep timers alive, and the driver waits for exit.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
}

function toNumber(arg) {
  const value = Number(arg);
  if (!Number.isFinite(value)) throw new Error(`expected a number, got "${arg}"`);
  return value;
}

/** Verification of a run's result: a failed check makes the run report `ok: false`. */
export function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

export const clock = () => process.hrtime.bigint();
export const nsSince = (start) => Number(process.hrtime.bigint() - start);

/** CPU time of this process (user + system), in ns since `cpuClock()`: on a shared machine wall time counts the others' work. */
export const cpuClock = () => process.cpuUsage();
export const cpuNsSince = (start) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) * 1e3;
};

/** heapUsed after one loop turn (pending microtasks and immediates settle) and three full GCs. */
export async function heapAfterGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run the child with node --expose-gc');
  await nextTurn();
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Keeps inputs reachable from globalThis. Without it V8 may collect them once the top-level async
 * function no longer uses them, which corrupts heap deltas (perf-baseline.md, "Timing").
 */
export function keepReachable(inputs) {
  (globalThis.benchInputs ??= []).push(inputs);
  return inputs;
}

/** Warm-up size for a run of n: a twentieth, between 100 and `cap` (perf-baseline: N/20, ≤ 10k). */
export function warmupSize(n, cap = 10_000) {
  return Math.max(Math.min(100, n), Math.min(cap, Math.floor(n / 20)));
}

/** mulberry32: every system of a run gets the same "random" inputs. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n priorities drawn uniformly from 0..levels-1. */
export function randomPriorities(n, seed, levels = 10) {
  const random = seededRandom(seed);
  const priorities = new Uint8Array(n);
  for (let i = 0; i < n; i++) priorities[i] = Math.floor(random() * levels);
  return priorities;
}

/** k distinct indices out of 0..n-1 in random order (partial Fisher–Yates). */
export function sampleIndices(n, k, seed) {
  const random = seededRandom(seed);
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const picked = indices[j];
    indices[j] = indices[i];
    indices[i] = picked;
  }
  return indices.subarray(0, k);
}

/**
 * n distinct no-op async closures (perf-baseline's task). Each bumps `counter.done`, so every
 * system is verified the same way: all tasks ran, exactly once.
 */
export function countingTasks(n, counter) {
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) {
    tasks[i] = async () => {
      counter.done++;
    };
  }
  return tasks;
}

/** p50/p90/p99/max of nanosecond samples, in µs. */
export function latencyPercentiles(samplesNs) {
  const sorted = Float64Array.from(samplesNs).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e3;
  return { p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99), maxUs: sorted[sorted.length - 1] / 1e3 };
}
