// Scale, live pool changes: µs per change must follow the change, not the number of providers
// (perf issue "scale cliffs"). <providers> providers share 16 servers; updateProviderServers on one
// provider alternates its pool between the 16 and the 16 plus one of its own, then addProvider adds
// <changes> providers on the 16. Each change is timed with one task submitted to the changed (or
// added) provider right after it: the broker may bring its index up to date lazily, at that start.
// The scenario runs two sizes: the ratio large/small is the point.
//   node --expose-gc bench/systems/scale-pool.mjs smt-rx <providers> <changes>
import { lastValueFrom } from 'rxjs';
import { check, cpuClock as clock, cpuNsSince as nsSince, runChild } from '../lib.mjs';
import { loadSmt, providerName, serverName, submitOrThrow } from '../smt.mjs';

const pool = (n) => Array.from({ length: n }, (_, i) => serverName(i));

async function poolChanges(smt, providers, changes) {
  const shared = pool(16);
  const handle = () => undefined;
  const manager = smt.createTaskManager({
    providers: Array.from({ length: providers }, (_, i) => ({ name: providerName(i), servers: shared, handle })),
  });
  const own = [...shared, 'own-server'];
  // A first task builds the broker's index (lazily, once, for every provider): not timed.
  await lastValueFrom(submitOrThrow(manager, { provider: providerName(0), payload: -1 }).outcome$);
  let ns = 0;
  for (let i = 0; i < changes; i++) {
    const start = clock();
    const changed = manager.updateProviderServers(providerName(0), i % 2 === 0 ? own : shared);
    const task = submitOrThrow(manager, { provider: providerName(0), payload: i });
    ns += nsSince(start);
    check(changed._tag === 'Right', 'updateProviderServers accepted');
    check((await lastValueFrom(task.outcome$))._tag === 'Succeeded', 'the task after the change succeeded');
  }
  let addNs = 0;
  for (let i = 0; i < changes; i++) {
    const start = clock();
    const added = manager.addProvider({ name: `added${i}`, servers: shared, handle });
    const task = submitOrThrow(manager, { provider: `added${i}`, payload: i });
    addNs += nsSince(start);
    check(added._tag === 'Right', 'addProvider accepted');
    check((await lastValueFrom(task.outcome$))._tag === 'Succeeded', 'the task after the addition succeeded');
  }
  await manager.shutdown({ mode: 'drain' });
  return { providers, changes, usPerChange: ns / changes / 1e3, usPerAdd: addNs / changes / 1e3 };
}

runChild({ 'smt-rx': true }, async (_prepare, providers, changes) => {
  const smt = await loadSmt();
  await poolChanges(smt, providers, Math.max(2, Math.floor(changes / 10))); // warm-up on a separate instance
  return poolChanges(smt, providers, changes);
});
