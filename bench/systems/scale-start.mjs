// Scale, starts: µs per start on the arrival path must not grow with the pool (perf issue "scale
// cliffs"). One provider whose pool has <servers> servers with room for every task; <tasks> tasks
// are submitted into its empty queue and each starts at once (its handler holds the slot until the
// end). One task starts before the clock: the first start after a pool change builds its index. The scenario runs two pool sizes: the ratio large/small is the point.
//   node --expose-gc bench/systems/scale-start.mjs smt-rx <servers> <tasks>
import { check, cpuClock as clock, cpuNsSince as nsSince, runChild } from '../lib.mjs';
import { loadSmt, serverName, submitOrThrow } from '../smt.mjs';

const pool = (n) => Array.from({ length: n }, (_, i) => serverName(i));

async function starts(smt, servers, tasks) {
  const release = [];
  const held = () => new Promise((resolve) => release.push(resolve));
  const manager = smt.createTaskManager({
    providers: [{ name: 'p', servers: pool(servers), handle: held }],
    defaultServerLimit: Math.max(1, Math.ceil((tasks + 1) / servers)),
    timeout: Infinity,
  });
  // The first start after a pool change builds the pool's index (O(servers), once): not timed.
  submitOrThrow(manager, { provider: 'p', payload: -1 });
  const start = clock();
  for (let i = 0; i < tasks; i++) submitOrThrow(manager, { provider: 'p', payload: i });
  const ns = nsSince(start);
  check(manager.stats().providers.p.running === tasks + 1 && release.length === tasks + 1, `${release.length} of ${tasks + 1} tasks started at once`);
  for (const resolve of release) resolve(undefined);
  const report = await manager.shutdown({ mode: 'drain' });
  check(report.succeeded === tasks + 1, `${report.succeeded} of ${tasks + 1} succeeded`);
  return { servers, tasks, usPerStart: ns / tasks / 1e3 };
}

runChild({ 'smt-rx': true }, async (_prepare, servers, tasks) => {
  const smt = await loadSmt();
  await starts(smt, servers, Math.max(1, Math.floor(tasks / 10))); // warm-up on a separate instance
  return starts(smt, servers, tasks);
});
