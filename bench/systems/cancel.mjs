// Cancellation: N tasks queued behind a paused server, then K of them cancelled at random
// positions (perf-baseline scenario 4). Reports µs per cancel for the synchronous cancel loop and
// including one loop turn for the rejections/outcomes to settle.
//   node --expose-gc bench/systems/cancel.mjs <system> <N> <K>
// p-queue cancels through one AbortController per task, its only per-task cancel; smt-rx through
// manager.cancel(id), with random priorities 0–9 (p-queue runs without, as in perf-baseline).
import PQueue from 'p-queue';
import { check, clock, keepReachable, nextTurn, nsSince, randomPriorities, runChild, sampleIndices } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, queuedCount, serverName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

const { AbortController } = globalThis; // declared here: the lint config lists only a few globals

// Each system builds one paused instance for n tasks: submit(task, i, priority), cancel(i) → true
// when the system reports the task removed, cancelled() → settled cancellations, queued(), drain().
const systems = {
  'p-queue': (n) => {
    const queue = new PQueue({ concurrency: 1, autoStart: false });
    const controllers = new Array(n);
    let rejected = 0;
    const onRejected = () => {
      rejected++;
    };
    return {
      submit(task, i) {
        controllers[i] = new AbortController();
        queue.add(task, { signal: controllers[i].signal }).catch(onRejected);
      },
      cancel(i) {
        controllers[i].abort();
        return true; // p-queue reports the removal only through the rejected promise: see cancelled()
      },
      cancelled: () => rejected,
      queued: () => queue.size,
      drain() {
        queue.start();
        return queue.onIdle();
      },
    };
  },
  'smt-rx': async (n) => {
    const manager = createManager(await loadSmt(), { servers: 1, limit: 1 });
    const outcomes = trackOutcomes(manager);
    manager.setServerLimit(serverName(0), 0);
    const ids = new Array(n);
    return {
      submit(task, i, priority) {
        ids[i] = submitOrThrow(manager, { provider: providerName(0), payload: task, priority }).id;
      },
      cancel: (i) => manager.cancel(ids[i])._tag === 'RemovedFromQueue',
      cancelled: () => outcomes.counts.cancelled,
      queued: () => queuedCount(manager),
      async drain() {
        manager.setServerLimit(serverName(0), 1);
        await closeManager(manager, outcomes);
        verifyAllSucceeded(manager, outcomes, n - outcomes.counts.cancelled);
      },
    };
  },
};

async function measure(prepare, n, k) {
  const counter = { done: 0 };
  const task = async () => {
    counter.done++;
  };
  const inputs = keepReachable({ priorities: randomPriorities(n, 3), victims: sampleIndices(n, k, 4) });
  const queue = await prepare(n);
  const setupStart = clock();
  for (let i = 0; i < n; i++) queue.submit(task, i, inputs.priorities[i]);
  const setupNs = nsSince(setupStart);
  // The window times the cancels, not a collection owed by the 100,000 submits before it.
  globalThis.gc();

  const start = clock();
  let removed = 0;
  for (let j = 0; j < k; j++) if (queue.cancel(inputs.victims[j])) removed++;
  const cancelNs = nsSince(start);
  await nextTurn();
  const settledNs = nsSince(start);

  check(removed === k, `${removed} of ${k} cancels reported the task removed`);
  check(queue.cancelled() === k, `${queue.cancelled()} of ${k} cancellations settled`);
  check(queue.queued() === n - k, `${queue.queued()} queued after cancelling, expected ${n - k}`);
  await queue.drain();
  check(counter.done === n - k, `${counter.done} tasks ran after the drain, expected ${n - k}`);
  return { n, k, usPerCancel: cancelNs / k / 1e3, usPerCancelSettled: settledNs / k / 1e3, setupUsPerTask: setupNs / n / 1e3 };
}

runChild(systems, async (prepare, n, k) => {
  await measure(prepare, Math.ceil(n / 20), Math.ceil(k / 20)); // warm-up on a separate instance
  return measure(prepare, n, k);
});
