// Weighted throughput: N no-op tasks of weight 1–3 (seeded), same priority, submitted at once on
// <servers> servers of limit <limit>, timed from the first submit to the last completion.
//   node --expose-gc bench/systems/weighted.mjs <system> <N> <servers> <limit>
// smt-rx takes each task's weight from its budget (`submit({ weight })`); "smt-rx-unweighted" runs
// the same tasks at weight 1 (what the weights cost); bottleneck is the peer with job weights
// (`maxConcurrent` = servers × limit, `schedule({ weight })`). Every run also counts overtakes:
// tasks that started before one submitted earlier (on one server smt-rx must have none: the heavy
// head holds the budget, see the README's "Task weight").
import Bottleneck from 'bottleneck';
import { check, clock, keepReachable, nsSince, runChild, seededRandom, warmupSize } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

function weightsOf(n, seed) {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => 1 + Math.floor(random() * 3));
}

/** Tasks that note their start order: task i pushes i when it starts. */
function orderedTasks(n, starts) {
  return Array.from({ length: n }, (_, i) => async () => {
    starts.push(i);
  });
}

/** How many tasks started while a task submitted before them had not started yet. */
function overtakes(starts) {
  let count = 0;
  let highest = -1;
  for (const i of starts) {
    if (i < highest) count++;
    else highest = i;
  }
  return count;
}

const smtRx = (weighted) => async ({ servers, limit }) => {
  const manager = createManager(await loadSmt(), { servers, limit });
  const outcomes = trackOutcomes(manager);
  const provider = providerName(0);
  return {
    run(tasks, weights) {
      for (let i = 0; i < tasks.length; i++) submitOrThrow(manager, { provider, payload: tasks[i], weight: weighted ? weights[i] : 1 });
      return outcomes.settled(tasks.length);
    },
    async close(n) {
      await closeManager(manager, outcomes);
      verifyAllSucceeded(manager, outcomes, n);
    },
  };
};

const systems = {
  'smt-rx': smtRx(true),
  'smt-rx-unweighted': smtRx(false),
  bottleneck: ({ servers, limit }) => {
    const limiter = new Bottleneck({ maxConcurrent: servers * limit });
    return {
      run: (tasks, weights) => Promise.all(tasks.map((task, i) => limiter.schedule({ weight: weights[i] }, task))),
      close: () => limiter.stop({ dropWaitingJobs: false }),
    };
  },
};

async function measure(prepare, n, shape) {
  const starts = [];
  const inputs = keepReachable({ tasks: orderedTasks(n, starts), weights: weightsOf(n, 1) });
  const instance = await prepare(shape);
  const start = clock();
  await instance.run(inputs.tasks, inputs.weights);
  const ns = nsSince(start);
  check(starts.length === n, `${starts.length} of ${n} tasks ran`);
  await instance.close?.(n);
  return { n, ns, tasksPerSec: n / (ns / 1e9), nsPerTask: ns / n, overtakes: overtakes(starts) };
}

runChild(systems, async (prepare, n, servers, limit) => {
  const shape = { servers, limit };
  await measure(prepare, warmupSize(n), shape); // warm-up on a separate instance
  return { ...shape, ...(await measure(prepare, n, shape)) };
});
