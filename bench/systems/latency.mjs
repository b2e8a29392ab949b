// Start latency of a high-priority probe behind a backlog (perf-baseline scenario 5).
//   node --expose-gc bench/systems/latency.mjs <system> <N> <servers> <limit>
// N priority-0 tasks, each awaiting one setImmediate, run on K = servers × limit slots. While the
// backlog drains from 75% to 25%, an injector running once per loop turn submits a priority-10
// probe whenever the previous probe has started and at least 50 tasks have started since.
// Latency runs from just before submit to the moment the probe's function is entered.
import { setImmediate } from 'node:timers';
import PQueue from 'p-queue';
import { check, clock, latencyPercentiles, nextTurn, nsSince, runChild } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

const PROBE_PRIORITY = 10;
const TASKS_BETWEEN_PROBES = 50;

// Each system builds one instance: submit(fn, priority) and idle(expected), a promise for "all
// `expected` submitted tasks completed".
const systems = {
  'p-queue-priority': ({ k }) => {
    const queue = new PQueue({ concurrency: k });
    return {
      submit: (fn, priority) => queue.add(fn, { priority }),
      idle: () => queue.onIdle(),
    };
  },
  'worker-pool': ({ k }) => twoFifoPool(k),
  'smt-rx': async ({ servers, limit }) => {
    const manager = createManager(await loadSmt(), { servers, limit });
    const outcomes = trackOutcomes(manager);
    return {
      submit: (fn, priority) => submitOrThrow(manager, { provider: providerName(0), payload: fn, priority }),
      async idle(expected) {
        await closeManager(manager, outcomes);
        verifyAllSucceeded(manager, outcomes, expected);
      },
    };
  },
};

/**
 * The floor: k workers over two FIFO arrays (high, low) with head indices, O(1) everywhere.
 * Workers start on submit while fewer than k run, like a queue's concurrency limit.
 */
function twoFifoPool(k) {
  const high = [];
  const low = [];
  let highHead = 0;
  let lowHead = 0;
  let active = 0;
  let onIdle = null;
  const next = () => (highHead < high.length ? high[highHead++] : lowHead < low.length ? low[lowHead++] : undefined);
  const worker = async () => {
    active++;
    for (let fn = next(); fn !== undefined; fn = next()) await fn();
    active--;
    if (active === 0 && onIdle !== null) onIdle();
  };
  return {
    submit(fn, priority) {
      (priority > 0 ? high : low).push(fn);
      if (active < k) worker();
    },
    idle: () => (active === 0 ? Promise.resolve() : new Promise((resolve) => (onIdle = resolve))),
  };
}

async function measure(prepare, n, shape) {
  const state = { started: 0, probes: 0, probePending: false, probeStart: 0n, startedAtProbe: 0, samples: [] };
  const task = async () => {
    state.started++;
    await nextTurn();
  };
  const probe = async () => {
    state.samples.push(nsSince(state.probeStart));
    state.probePending = false;
    state.startedAtProbe = state.started;
    await nextTurn();
  };
  const system = await prepare(shape);
  const start = clock();
  for (let i = 0; i < n; i++) system.submit(task, 0);
  await injectProbes(system, state, n, probe);
  await system.idle(n + state.probes);
  const ns = nsSince(start);
  check(state.started === n, `${state.started} of ${n} backlog tasks ran`);
  check(state.probes > 0 && state.samples.length === state.probes, `${state.samples.length} of ${state.probes} probes started`);
  return { n, probes: state.probes, ...latencyPercentiles(state.samples), tasksPerSec: n / (ns / 1e9) };
}

/** Resolves when the backlog falls below 25%; a probe still pending then is awaited by idle(). */
function injectProbes(system, state, n, probe) {
  return new Promise((resolve) => {
    const turn = () => {
      const remaining = n - state.started;
      if (remaining < n * 0.25) return resolve();
      const spaced = state.started - state.startedAtProbe >= TASKS_BETWEEN_PROBES;
      if (!state.probePending && remaining <= n * 0.75 && spaced) {
        state.probePending = true;
        state.probes++;
        state.probeStart = clock();
        system.submit(probe, PROBE_PRIORITY);
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  });
}

runChild(systems, async (prepare, n, servers, limit) => {
  const shape = { servers, limit, k: servers * limit };
  await measure(prepare, Math.min(20_000, Math.ceil(n / 5)), shape); // warm-up on a separate instance
  return { ...shape, ...(await measure(prepare, n, shape)) };
});
