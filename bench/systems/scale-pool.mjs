// Scale, live pool changes: µs per change must follow the change, not the number of providers
// (perf issue "scale cliffs"). <providers> providers share 16 servers; updateProviderServers on one
// provider alternates its pool between the 16 and the 16 plus one of its own, then addProvider adds
// <changes> providers on the 16, then each added provider is retired (its pool emptied: the manager
// offers no removal, and an empty pool takes the provider out of every budget), then provider 0
// alternates between the 16 and the first 8 of them (it leaves, then joins, part of the class of
// budgets every provider shares). Each change is timed with one task submitted right after it (to
// the changed or added provider; to provider 0 after a retirement): the broker may bring its index
// up to date lazily, at that start. Last, pipelines leaving: <providers> + <changes> `serverSlots`
// pipelines share one broker over the 16 servers, and <changes> of them are unsubscribed (the
// broker's own leave), each timed with one item through pipeline 0 right after it. The scenario
// runs two sizes: the ratio large/small is the point.
//   node --expose-gc bench/systems/scale-pool.mjs smt-rx <providers> <changes>
import { URL } from 'node:url';
import { lastValueFrom, of, Subject } from 'rxjs';
import { check, cpuClock as clock, cpuNsSince as nsSince, runChild } from '../lib.mjs';
import { DIST, loadSmt, providerName, serverName, submitOrThrow } from '../smt.mjs';

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
  // CPU µs per change of `changes` changes, each timed with one task submitted to `providerOf(i)`.
  const timeChanges = async (what, change, providerOf) => {
    let ns = 0;
    for (let i = 0; i < changes; i++) {
      const start = clock();
      const accepted = change(i);
      const task = submitOrThrow(manager, { provider: providerOf(i), payload: i });
      ns += nsSince(start);
      check(accepted._tag === 'Right', `${what} accepted`);
      check((await lastValueFrom(task.outcome$))._tag === 'Succeeded', `the task after ${what} succeeded`);
    }
    return ns / changes / 1e3;
  };
  const first = () => providerName(0);
  const usPerChange = await timeChanges('updateProviderServers', (i) => manager.updateProviderServers(providerName(0), i % 2 === 0 ? own : shared), first);
  const usPerAdd = await timeChanges('addProvider', (i) => manager.addProvider({ name: `added${i}`, servers: shared, handle }), (i) => `added${i}`);
  const usPerRemove = await timeChanges('emptying a pool', (i) => manager.updateProviderServers(`added${i}`, []), first);
  const half = shared.slice(0, 8);
  const usPerPartial = await timeChanges('a partial pool change', (i) => manager.updateProviderServers(providerName(0), i % 2 === 0 ? half : shared), first);
  await manager.shutdown({ mode: 'drain' });
  return { providers, changes, usPerChange, usPerAdd, usPerRemove, usPerPartial };
}

async function pipelinesLeaving(operators, providers, changes) {
  // Ranked, as the manager's broker is: without a comparator members take turns, and a slot that
  // frees scans the members of its budget for one with something waiting (a cost of every fill,
  // not of a change, that would hide the leave's).
  const broker = new operators.SlotBroker({ compare: (a, b) => a - b });
  const shared = pool(16);
  const done = [];
  const sources = [];
  const subscriptions = [];
  for (let i = 0; i < providers + changes; i++) {
    const source = new Subject();
    sources.push(source);
    subscriptions.push(source.pipe(operators.serverSlots({ broker, servers: shared, work: (item) => of(item) })).subscribe((item) => done.push(item)));
  }
  sources[0].next(-1); // builds the broker's index: not timed
  let ns = 0;
  for (let i = 0; i < changes; i++) {
    const start = clock();
    subscriptions[providers + i].unsubscribe();
    sources[0].next(i);
    ns += nsSince(start);
  }
  check(done.length === changes + 1, 'every item after a pipeline left ran');
  for (const subscription of subscriptions) subscription.unsubscribe();
  return ns / changes / 1e3;
}

async function run(smt, operators, providers, changes) {
  const result = await poolChanges(smt, providers, changes);
  return { ...result, usPerLeave: await pipelinesLeaving(operators, providers, changes) };
}

runChild({ 'smt-rx': true }, async (_prepare, providers, changes) => {
  const smt = await loadSmt();
  const operators = await import(new URL('./operators/index.js', DIST).href);
  await run(smt, operators, providers, Math.max(2, Math.floor(changes / 10))); // warm-up on a separate instance
  return run(smt, operators, providers, changes);
});
