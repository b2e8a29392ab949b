// Throughput: N no-op tasks (random priority 0–9) submitted at once, timed from the first submit
// to the last completion (perf-baseline scenario 1).
//   node --expose-gc bench/systems/throughput.mjs <system> <N> <servers> <limit> [providers]
// Peers run with concurrency K = servers × limit; only smt-rx has servers and providers, and only
// smt-rx and p-queue-priority use the priorities.
import fastq from 'fastq';
import PQueue from 'p-queue';
import { from, mergeMap } from 'rxjs';
import { check, clock, countingTasks, keepReachable, nsSince, randomPriorities, runChild, warmupSize } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

const runTask = (task) => task();

// Each system builds one instance (outside the clock) and returns run(tasks, priorities), a
// promise for "every task completed", plus optional checks and teardown.
const systems = {
  'p-queue': ({ k }) => pQueue(k, () => undefined),
  'p-queue-priority': ({ k }) => pQueue(k, (priority) => ({ priority })),
  fastq: ({ k }) => {
    const queue = fastq.promise(runTask, k);
    return {
      run(tasks) {
        for (const task of tasks) queue.push(task);
        return queue.drained();
      },
      verify: () => check(queue.idle(), 'fastq idle'),
    };
  },
  'rxjs-mergeMap': ({ k }) => ({
    run: (tasks) =>
      new Promise((resolve, reject) => {
        from(tasks).pipe(mergeMap(runTask, k)).subscribe({ error: reject, complete: resolve });
      }),
  }),
  // The event loop's limit: k async workers pulling from the array, no queue at all.
  'worker-pool': ({ k }) => ({
    async run(tasks) {
      let next = 0;
      const worker = async () => {
        while (next < tasks.length) await tasks[next++]();
      };
      await Promise.all(Array.from({ length: k }, worker));
    },
  }),
  'smt-rx': async ({ servers, limit, providers }) => {
    const manager = createManager(await loadSmt(), { providers, servers, limit });
    const outcomes = trackOutcomes(manager);
    const names = Array.from({ length: providers }, (_, i) => providerName(i));
    return {
      run(tasks, priorities) {
        for (let i = 0; i < tasks.length; i++) {
          submitOrThrow(manager, { provider: names[i % providers], payload: tasks[i], priority: priorities[i] });
        }
        return outcomes.settled(tasks.length);
      },
      async close(n) {
        await closeManager(manager, outcomes);
        verifyAllSucceeded(manager, outcomes, n);
      },
    };
  },
};

function pQueue(k, addOptions) {
  const queue = new PQueue({ concurrency: k });
  return {
    run(tasks, priorities) {
      for (let i = 0; i < tasks.length; i++) queue.add(tasks[i], addOptions(priorities[i]));
      return queue.onIdle();
    },
    verify: () => check(queue.size === 0 && queue.pending === 0, 'p-queue empty'),
  };
}

async function measure(prepare, n, shape) {
  const counter = { done: 0 };
  const inputs = keepReachable({ tasks: countingTasks(n, counter), priorities: randomPriorities(n, 1) });
  const instance = await prepare(shape);
  const start = clock();
  await instance.run(inputs.tasks, inputs.priorities);
  const ns = nsSince(start);
  check(counter.done === n, `${counter.done} of ${n} tasks ran`);
  instance.verify?.();
  await instance.close?.(n);
  return { n, ns, tasksPerSec: n / (ns / 1e9), nsPerTask: ns / n };
}

runChild(systems, async (prepare, n, servers, limit, providers = 1) => {
  const shape = { servers, limit, providers, k: servers * limit };
  await measure(prepare, warmupSize(n), shape); // warm-up on a separate instance
  return { ...shape, ...(await measure(prepare, n, shape)) };
});
