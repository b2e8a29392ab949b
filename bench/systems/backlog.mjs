// Backlog: N tasks queued behind a paused server (perf-baseline scenario 3). One run yields both
// the submit cost per task (the submit loop, timed) and the heap bytes per queued task (heapUsed
// after GC, minus the same before the loop, over N).
//   node --expose-gc bench/systems/backlog.mjs <system> <N>
// Every system gets the same task function N times, so the figures exclude the task closure itself
// (a distinct closure adds 56 B). smt-rx also gets random priorities 0–9 (built before the
// baseline reading); the peers run without priorities, as in perf-baseline.
import fastq from 'fastq';
import PQueue from 'p-queue';
import { check, clock, heapAfterGc, keepReachable, nsSince, randomPriorities, runChild, warmupSize } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, queuedCount, serverName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

// Each system builds one paused instance: submit(task, priority), queued(), and drain() to resume
// and wait until every queued task has run.
const systems = {
  'p-queue': () => {
    const queue = new PQueue({ concurrency: 1, autoStart: false });
    return {
      submit: (task) => queue.add(task),
      queued: () => queue.size,
      drain() {
        queue.start();
        return queue.onIdle();
      },
    };
  },
  fastq: () => {
    const queue = fastq.promise((task) => task(), 1);
    queue.pause();
    return {
      submit: (task) => queue.push(task),
      queued: () => queue.length(),
      drain() {
        queue.resume();
        return queue.drained();
      },
    };
  },
  'smt-rx': async () => {
    const manager = createManager(await loadSmt(), { servers: 1, limit: 1 });
    const outcomes = trackOutcomes(manager);
    manager.setServerLimit(serverName(0), 0);
    let submitted = 0;
    return {
      submit(task, priority) {
        submitOrThrow(manager, { provider: providerName(0), payload: task, priority });
        submitted++;
      },
      queued: () => queuedCount(manager),
      async drain() {
        manager.setServerLimit(serverName(0), 1);
        await closeManager(manager, outcomes);
        verifyAllSucceeded(manager, outcomes, submitted);
      },
    };
  },
};

async function measure(prepare, n) {
  const counter = { done: 0 };
  const task = keepReachable(async () => {
    counter.done++;
  });
  const priorities = keepReachable(randomPriorities(n, 2));
  const backlog = await prepare();
  const heapBefore = await heapAfterGc();
  const start = clock();
  for (let i = 0; i < n; i++) backlog.submit(task, priorities[i]);
  const submitNs = nsSince(start);
  const heapAfter = await heapAfterGc();
  check(backlog.queued() === n, `${backlog.queued()} of ${n} tasks queued`);
  await backlog.drain();
  check(counter.done === n, `${counter.done} of ${n} tasks ran after the drain`);
  return { n, bytesPerTask: (heapAfter - heapBefore) / n, submitNsPerTask: submitNs / n };
}

runChild(systems, async (prepare, n) => {
  await measure(prepare, warmupSize(n, 20_000)); // warm-up on a separate instance
  return measure(prepare, n);
});
