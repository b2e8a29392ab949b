// Rate-limited throughput: `windows × starts + 1` no-op tasks submitted at once to one server whose
// budget has a start rate of `starts` per sliding `intervalMs` (and no concurrency limit to speak
// of), timed from the first attempt start to the last. Ideal starts are `starts` at 0, `starts` at
// intervalMs, …: the last at windows × intervalMs. Achieved rate = (n − 1) / (last − first); the
// ratio to the configured rate (starts / intervalMs) says what timer lateness costs. Start times are
// the times the limiter itself read when it let a slot be taken (the scheduler's clock, whole ms);
// a handler may be called a little later on a loaded machine, and that delay is not the limiter's.
//   node --expose-gc bench/systems/rate-limited.mjs smt-rx <starts> <intervalMs> <windows>
import { asyncScheduler } from 'rxjs';
import { check, runChild } from '../lib.mjs';
import { closeManager, loadSmt, submitOrThrow, trackOutcomes, verifyAllSucceeded } from '../smt.mjs';

const SERVER = 's1';

const systems = {
  'smt-rx': async ({ starts, intervalMs }) => {
    const smt = await loadSmt();
    const startedAt = [];
    const clock = readingClock();
    const manager = smt.createTaskManager({
      scheduler: clock,
      providers: [{ name: 'p0', servers: [SERVER], handle: (task) => task.payload() }],
      coordinator: notingAcquires(smt.localSlotCoordinator({ limits: { [SERVER]: 1_000_000 } }), clock, startedAt),
      rateLimits: { [SERVER]: { starts, intervalMs } },
      timeout: 60_000,
    });
    const outcomes = trackOutcomes(manager);
    return {
      startedAt,
      run(tasks) {
        for (const task of tasks) submitOrThrow(manager, { provider: 'p0', payload: task });
        return outcomes.settled(tasks.length);
      },
      async close(n) {
        await closeManager(manager, outcomes);
        verifyAllSucceeded(manager, outcomes, n);
      },
    };
  },
};

/** asyncScheduler, remembering the last time it told: the one the limiter read just before the acquire. */
function readingClock() {
  const clock = {
    last: 0,
    now: () => (clock.last = asyncScheduler.now()),
    schedule: (work, delay, state) => asyncScheduler.schedule(work, delay, state),
  };
  return clock;
}

/** The coordinator as it is, but each slot it hands out is noted with the limiter's time of the acquire. */
function notingAcquires(inner, clock, times) {
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'tryAcquire') {
        return (key) => {
          const taken = target.tryAcquire(key);
          if (taken) times.push(clock.last);
          return taken;
        };
      }
      const value = target[property];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function measure(prepare, starts, intervalMs, windows) {
  const n = windows * starts + 1;
  const tasks = Array.from({ length: n }, () => () => undefined);
  const instance = await prepare({ starts, intervalMs });
  await instance.run(tasks);
  await instance.close(n);
  const startedAt = instance.startedAt;
  check(startedAt.length === n, `${startedAt.length} of ${n} tasks started`);
  const ms = (i) => startedAt[i] - startedAt[0];
  // The window is kept: the (k + starts)-th start comes a full interval after the k-th.
  for (let k = 0; k + starts < n; k++) check(ms(k + starts) - ms(k) >= intervalMs, `start ${k + starts} only ${ms(k + starts) - ms(k)} ms after start ${k}`);
  const spanMs = ms(n - 1);
  const configuredPerSec = (starts / intervalMs) * 1000;
  const achievedPerSec = (n - 1) / (spanMs / 1000);
  return { n, starts, intervalMs, spanMs, configuredPerSec, achievedPerSec, achievedRatio: achievedPerSec / configuredPerSec };
}

runChild(systems, async (prepare, starts, intervalMs, windows) => measure(prepare, starts, intervalMs, windows));
