// Timers held by an idle manager: N tasks waiting behind a paused server must not cost a timer each
// (a per-task slot-wait or timeout timer would). smt-rx only.
//   node --expose-gc bench/systems/idle-timers.mjs smt-rx <N>
// Compares the active 'Timeout' resources (ref'ed setTimeout/setInterval) with 1 task waiting and
// with N waiting, and counts every setTimeout/setInterval call made while queuing the other N − 1,
// which also catches unref'ed timers that getActiveResourcesInfo() leaves out.
import { check, nextTurn, sleep, runChild } from '../lib.mjs';
import { closeManager, createManager, loadSmt, providerName, queuedCount, serverName, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

const activeTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

/** Wraps the global timer functions (before smt-rx and RxJS capture them) to count their calls. */
function countTimerCalls() {
  const calls = { count: 0 };
  for (const name of ['setTimeout', 'setInterval']) {
    const original = globalThis[name];
    globalThis[name] = function countedTimer(...args) {
      calls.count++;
      return original.apply(this, args);
    };
  }
  return calls;
}

/** Lets deferred work (zero-delay scheduler actions, immediates) run before counting. */
async function quiesce() {
  await sleep(20);
  await nextTurn();
}

async function measure(n) {
  const calls = countTimerCalls();
  const manager = createManager(await loadSmt(), { servers: 1, limit: 1 });
  const outcomes = trackOutcomes(manager);
  const task = async () => {};
  const submit = () => submitOrThrow(manager, { provider: providerName(0), payload: task });
  manager.setServerLimit(serverName(0), 0);

  submit();
  await quiesce();
  const timersWith1 = activeTimers();
  const callsBefore = calls.count;
  for (let i = 1; i < n; i++) submit();
  await quiesce();
  const timersWithN = activeTimers();
  const timerCalls = calls.count - callsBefore;
  check(queuedCount(manager) === n, `${queuedCount(manager)} of ${n} tasks waiting`);

  manager.setServerLimit(serverName(0), 1);
  await closeManager(manager, outcomes);
  verifyAllSucceeded(manager, outcomes, n);
  return { n, timersWith1, timersWithN, addedTimers: timersWithN - timersWith1, timerCalls };
}

runChild({ 'smt-rx': measure }, (run, n) => run(n));
