// p-queue with priorities: N functions added to a paused p-queue (random priority 0–9), then run
// with concurrency 16. The smt-rx row is p-queue itself with `queueClass: SmtPriorityQueue` from
// smt-rx/p-queue; the next is p-queue's own queue, which inserts into a sorted array; the last is
// p-queue without priorities (its queue only appends): the floor of p-queue's own cost per add.
//   node --expose-gc bench/systems/p-queue-class.mjs <system> <N>
// The add loop is timed alone (the queue grows to N, where the insert cost shows), then the drain.
import PQueue from 'p-queue';
import { check, clock, countingTasks, keepReachable, nsSince, randomPriorities, runChild, warmupSize } from '../lib.mjs';
import { loadSmtSubpath } from '../smt.mjs';

const CONCURRENCY = 16;

const systems = {
  'smt-rx': async () => {
    const { SmtPriorityQueue } = await loadSmtSubpath('p-queue');
    return new PQueue({ concurrency: CONCURRENCY, autoStart: false, queueClass: SmtPriorityQueue });
  },
  'p-queue-priority': () => new PQueue({ concurrency: CONCURRENCY, autoStart: false }),
  // The floor: p-queue's own queue without priorities only appends.
  'p-queue': () => new PQueue({ concurrency: CONCURRENCY, autoStart: false }),
};

async function measure(prepare, n, usePriorities) {
  const counter = { done: 0 };
  const inputs = keepReachable({ tasks: countingTasks(n, counter), priorities: randomPriorities(n, 3) });
  const queue = await prepare();
  const addStart = clock();
  for (let i = 0; i < n; i++) queue.add(inputs.tasks[i], usePriorities ? { priority: inputs.priorities[i] } : {});
  const addNs = nsSince(addStart);
  check(queue.size === n, `${queue.size} of ${n} functions queued`);
  const drainStart = clock();
  queue.start();
  await queue.onIdle();
  const drainNs = nsSince(drainStart);
  check(counter.done === n && queue.size === 0 && queue.pending === 0, `${counter.done} of ${n} functions ran, p-queue empty`);
  return { n, addUsPerTask: addNs / n / 1e3, drainTasksPerSec: n / (drainNs / 1e9), tasksPerSec: n / ((addNs + drainNs) / 1e9) };
}

runChild(systems, async (prepare, n) => {
  const usePriorities = process.argv[2] !== 'p-queue';
  await measure(prepare, warmupSize(n), usePriorities); // warm-up on a separate instance
  return measure(prepare, n, usePriorities);
});
