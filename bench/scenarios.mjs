// The scenarios of the Performance issue. Each one lists its child script, the variants compared
// (the smt-rx variant first: every ratio is first row / other row), the metrics read from each
// run's JSON line, and the targets. Only the sizes differ between full and --quick mode.
// A metric's `better` ('higher' or 'lower') marks it for the new/baseline ratios of --baseline.

const FULL = {
  throughput: 200_000,
  backlog: 1_000_000,
  cancel: { n: 100_000, k: 10_000 },
  latency: 100_000,
  providers: { n: 200_000, providers: 1_000 },
  idle: 10_000,
  pQueueClass: 50_000,
  rateSeconds: 5,
  scaleStart: { small: 10, large: 100_000, tasks: 1_000 },
  scalePool: { small: 10, large: 10_000, changes: 100 },
  weighted: { n: 100_000, peerN: 2_000 },
};

// Quick mode checks that every script runs and verifies, not speed: tiny sizes, one round.
const QUICK = {
  throughput: 2_000,
  backlog: 20_000,
  cancel: { n: 2_000, k: 200 },
  latency: 5_000,
  providers: { n: 2_000, providers: 1_000 },
  idle: 1_000,
  pQueueClass: 2_000,
  rateSeconds: 1,
  scaleStart: { small: 10, large: 100_000, tasks: 200 },
  scalePool: { small: 10, large: 10_000, changes: 20 },
  weighted: { n: 2_000, peerN: 200 },
};

const PEERS = ['p-queue', 'p-queue-priority', 'fastq', 'rxjs-mergeMap', 'worker-pool'];

const int = (n) => n.toLocaleString('en-US');

/** A variant runs `script <system> <args…>`; `label` names its row. */
const variant = (system, args, label = system) => ({ label, system, args: [system, ...args] });

export const BASELINE_SUFFIX = ' (baseline)';

/**
 * --baseline: every smt-rx variant gets a twin that runs the same script and arguments against
 * the build at `dist` (…/dist/index.js), placed right after it so the two run close in time.
 * `twinOf` links the twin to its variant for the new/baseline ratios.
 */
export function withBaseline(scenario, dist) {
  const variants = scenario.variants.flatMap((v) =>
    v.system === 'smt-rx' ? [v, { ...v, label: `${v.label}${BASELINE_SUFFIX}`, dist, twinOf: v }] : [v],
  );
  return { ...scenario, variants };
}

export function buildScenarios(quick) {
  const size = quick ? QUICK : FULL;
  return [
    throughput('throughput-16x1', '1 provider with 16 servers of limit 1', size.throughput, 16, 1),
    throughput('throughput-1x16', '1 server with limit 16', size.throughput, 1, 16),
    throughput('throughput-1x1', '1 server with limit 1', size.throughput, 1, 1),
    weighted(size.weighted),
    backlog(size.backlog),
    cancel(size.cancel),
    latency(size.latency),
    providers(size.providers),
    idleTimers(size.idle),
    pQueueClass(size.pQueueClass),
    rateLimited(size.rateSeconds),
    scaleStart(size.scaleStart),
    scalePool(size.scalePool),
  ];
}

function throughput(id, shape, n, servers, limit) {
  return {
    id,
    script: 'throughput.mjs',
    title: `Throughput: ${int(n)} no-op tasks, random priority 0–9, ${shape}`,
    note: `Time from the first submit to the last completion. Peers run with concurrency K = ${servers * limit}; only smt-rx and p-queue-priority use the priorities.`,
    variants: ['smt-rx', ...PEERS].map((system) => variant(system, [n, servers, limit])),
    metrics: [
      { key: 'tasksPerSec', label: 'tasks/s', format: 'rate', ratio: true, better: 'higher' },
      { key: 'nsPerTask', label: 'ns/task', format: 'num' },
    ],
    targets: [
      { metric: 'tasksPerSec', vs: 'fastq', text: 'smt-rx ≥ 1.0× fastq tasks/s', pass: (ratio) => ratio >= 1 },
      // Issue #11 raised the bar once the core was reshaped.
      { metric: 'tasksPerSec', vs: 'fastq', text: 'smt-rx ≥ 1.5× fastq tasks/s (#11)', pass: (ratio) => ratio >= 1.5 },
      { metric: 'tasksPerSec', vs: 'p-queue-priority', text: 'smt-rx ≥ 15× p-queue-priority tasks/s', pass: (ratio) => ratio >= 15 },
    ],
  };
}

function weighted({ n, peerN }) {
  return {
    id: 'weighted',
    script: 'weighted.mjs',
    title: `Weighted throughput: ${int(n)} no-op tasks of weight 1–3, same priority, 1 server with limit 4`,
    note: `Time from the first submit to the last completion. "smt-rx, weight 1" runs the same tasks unweighted (up to 4 at once instead of about 2: not the same work, so the ratio shows what weighing costs, not overhead alone). bottleneck (maxConcurrent 4, \`schedule({ weight })\`) runs ${int(peerN)} tasks: it is timer-bound (about 435 tasks/s, perf-baseline). Overtakes: tasks that started while one submitted earlier had not (smt-rx must show 0: the heavy head holds the budget).`,
    variants: [variant('smt-rx', [n, 1, 4]), variant('smt-rx-unweighted', [n, 1, 4], 'smt-rx, weight 1'), variant('bottleneck', [peerN, 1, 4])],
    metrics: [
      { key: 'tasksPerSec', label: 'tasks/s', format: 'rate', ratio: true, better: 'higher' },
      { key: 'nsPerTask', label: 'ns/task', format: 'num' },
      { key: 'overtakes', label: 'overtakes', format: 'num' },
    ],
    targets: [
      { metric: 'overtakes', text: 'smt-rx: no task starts before one submitted earlier (1 server, one priority)', pass: (count) => count === 0 },
    ],
  };
}

function backlog(n) {
  return {
    id: 'backlog',
    script: 'backlog.mjs',
    title: `Backlog: ${int(n)} tasks queued behind a paused server`,
    note: 'Heap bytes per queued task after GC ×3 and the submit cost per task, from the same run. Every system queues the same task function, so the task closure itself is excluded; smt-rx uses random priorities 0–9, the peers none (perf-baseline scenario 3).',
    variants: ['smt-rx', 'p-queue', 'fastq'].map((system) => variant(system, [n])),
    metrics: [
      { key: 'bytesPerTask', label: 'heap B/task', format: 'num', ratio: true, better: 'lower' },
      { key: 'submitNsPerTask', label: 'submit ns/task', format: 'num', ratio: true, better: 'lower' },
      { key: 'maxRssMB', label: 'peak RSS MB', format: 'num', better: 'lower' },
    ],
    targets: [
      { metric: 'bytesPerTask', text: 'smt-rx ≤ 250 B per queued task', pass: (bytes) => bytes <= 250 },
      { metric: 'submitNsPerTask', text: 'smt-rx submit ≤ 0.5 µs per task', pass: (ns) => ns <= 500 },
    ],
  };
}

function cancel({ n, k }) {
  return {
    id: 'cancel',
    script: 'cancel.mjs',
    title: `Cancel: ${int(k)} random tasks out of ${int(n)} queued`,
    note: 'smt-rx: manager.cancel(id) on tasks with random priorities 0–9; p-queue: abort() on one AbortController per task (perf-baseline scenario 4). A full GC runs between queuing and cancelling, so the window holds the cancels and what they allocate, not the queuing\'s collection debt. "Settled" adds one loop turn for the outcomes and rejections.',
    variants: [variant('smt-rx', [n, k]), variant('p-queue', [n, k], 'p-queue (AbortSignal)')],
    metrics: [
      { key: 'usPerCancel', label: 'µs/cancel', format: 'num', ratio: true, better: 'lower' },
      { key: 'usPerCancelSettled', label: 'µs/cancel, settled', format: 'num', better: 'lower' },
      { key: 'setupUsPerTask', label: 'setup µs/task', format: 'num', better: 'lower' },
    ],
    targets: [{ metric: 'usPerCancel', text: 'smt-rx ≤ 5 µs per cancel', pass: (us) => us <= 5 }],
  };
}

function latency(n) {
  return {
    id: 'latency',
    script: 'latency.mjs',
    title: `Latency: a priority-10 task submitted behind ${int(n)} queued, 16 busy slots`,
    note: 'Time from submit to the probe function being entered; each task awaits one setImmediate; probes are injected while the backlog drains from 75% to 25% (perf-baseline scenario 5). smt-rx: 16 servers of limit 1; peers: concurrency 16. The two-FIFO pool is the floor.',
    variants: [
      variant('smt-rx', [n, 16, 1]),
      variant('p-queue-priority', [n, 16, 1]),
      variant('worker-pool', [n, 16, 1], 'two-FIFO pool (floor)'),
    ],
    metrics: [
      { key: 'p99Us', label: 'p99 µs', format: 'num', ratio: true, better: 'lower' },
      { key: 'p50Us', label: 'p50 µs', format: 'num', better: 'lower' },
      { key: 'maxUs', label: 'max µs', format: 'num' },
      { key: 'probes', label: 'probes', format: 'num' },
      { key: 'tasksPerSec', label: 'tasks/s', format: 'rate', better: 'higher' },
    ],
    targets: [{ metric: 'p99Us', text: 'smt-rx p99 ≤ 20 µs', pass: (us) => us <= 20 }],
  };
}

function providers({ n, providers: count }) {
  const many = `smt-rx, ${int(count)} providers`;
  const one = 'smt-rx, 1 provider';
  return {
    id: 'providers',
    script: 'throughput.mjs',
    title: `Providers: ${int(n)} tasks spread over ${int(count)} providers vs 1 provider`,
    note: 'All providers share one pool of 16 servers of limit 1, so the concurrency is the same and only the scheduling work differs. Tasks go to providers round-robin.',
    variants: [variant('smt-rx', [n, 16, 1, count], many), variant('smt-rx', [n, 16, 1, 1], one)],
    metrics: [
      { key: 'tasksPerSec', label: 'tasks/s', format: 'rate', ratio: true, better: 'higher' },
      { key: 'nsPerTask', label: 'ns/task', format: 'num' },
    ],
    targets: [{ metric: 'tasksPerSec', vs: one, text: `${int(count)} providers ≥ 0.8× the 1-provider rate`, pass: (ratio) => ratio >= 0.8 }],
  };
}

function idleTimers(n) {
  return {
    id: 'idle-timers',
    script: 'idle-timers.mjs',
    title: `Idle timers: ${int(n)} tasks waiting on a paused server`,
    note: "Active 'Timeout' resources (process.getActiveResourcesInfo()) with 1 task waiting and with all waiting; timer calls counts every setTimeout/setInterval call made while queuing the rest, including unref'ed timers.",
    variants: [variant('smt-rx', [n])],
    metrics: [
      { key: 'timersWith1', label: 'timers, 1 waiting', format: 'num' },
      { key: 'timersWithN', label: `timers, ${int(n)} waiting`, format: 'num' },
      { key: 'addedTimers', label: 'added', format: 'num' },
      { key: 'timerCalls', label: 'timer calls', format: 'num' },
    ],
    targets: [{ metric: 'addedTimers', text: 'no timer per waiting task (0 timers added)', pass: (added) => added <= 0 }],
  };
}

function pQueueClass(n) {
  return {
    id: 'p-queue-class',
    script: 'p-queue-class.mjs',
    title: `p-queue with priorities: ${int(n)} functions added behind a paused queue, then run with concurrency 16`,
    note: "Both rows are p-queue; the first passes `queueClass: SmtPriorityQueue` (smt-rx/p-queue), the second uses p-queue's own queue; the third adds without priorities (p-queue's queue only appends then: the floor of its own cost per add). Random priorities 0–9. add µs/function is the add loop (p-queue's own work included) while the queue grows to the full size; tasks/s covers adding and running.",
    variants: [
      variant('smt-rx', [n], 'p-queue + SmtPriorityQueue'),
      variant('p-queue-priority', [n], 'p-queue (own queue)'),
      variant('p-queue', [n], 'p-queue, no priorities (floor)'),
    ],
    metrics: [
      { key: 'addUsPerTask', label: 'add µs/function', format: 'num', ratio: true, better: 'lower' },
      { key: 'drainTasksPerSec', label: 'run tasks/s', format: 'rate', better: 'higher' },
      { key: 'tasksPerSec', label: 'tasks/s', format: 'rate', better: 'higher' },
    ],
    targets: [],
  };
}

/** 1,000 starts per second, as one window of 1 s and as finer windows (more timer wake-ups). */
function rateLimited(seconds) {
  const shapes = [
    [1000, 1000],
    [100, 100],
    [10, 10],
  ];
  return {
    id: 'rate-limited',
    script: 'rate-limited.mjs',
    title: `Rate-limited throughput: 1,000 starts per second for ${seconds} s on one rated server`,
    note: 'smt-rx with `rateLimits` on its in-process coordinator (sliding window; no concurrency limit to speak of): `windows × starts + 1` no-op tasks submitted at once, so the ideal is `starts` at every multiple of `intervalMs`. Achieved = (n − 1) / (last start − first start), start times being the clock readings the limiter itself made when it let each slot go; every run also checks that no `starts + 1` starts fall within one interval. What is lost is timer lateness, once per window: finer windows lose more on a loaded machine.',
    variants: shapes.map(([starts, intervalMs]) => variant('smt-rx', [starts, intervalMs, (seconds * 1000) / intervalMs], `smt-rx, ${int(starts)} per ${int(intervalMs)} ms`)),
    metrics: [
      { key: 'achievedRatio', label: 'achieved / configured', format: 'num', better: 'higher' },
      { key: 'achievedPerSec', label: 'starts/s', format: 'rate', better: 'higher' },
      { key: 'spanMs', label: 'span ms', format: 'num' },
    ],
    targets: [{ metric: 'achievedRatio', text: 'smt-rx, 1,000 per 1,000 ms: achieved ≥ 0.98 × configured', pass: (ratio) => ratio >= 0.98 }],
  };
}

function scaleStart({ small, large, tasks }) {
  const big = `smt-rx, ${int(large)} servers`;
  return {
    id: 'scale-start',
    script: 'scale-start.mjs',
    title: `Scale, starts: ${int(tasks)} tasks starting on arrival, one provider with ${int(large)} vs ${int(small)} servers`,
    note: 'CPU µs per start (process.cpuUsage: the machine is shared) on the arrival path: each task is submitted into an empty queue and starts at once on the least loaded server (every server has room; handlers hold their slot until the end). The ratio large/small pool is the point: a start must not grow with the pool.',
    variants: [variant('smt-rx', [large, tasks], big), variant('smt-rx', [small, tasks], `smt-rx, ${int(small)} servers`)],
    metrics: [{ key: 'usPerStart', label: 'CPU µs/start', format: 'num', ratio: true, better: 'lower' }],
    targets: [{ metric: 'usPerStart', vs: `smt-rx, ${int(small)} servers`, text: `a start with ${int(large)} servers ≤ 3× one with ${int(small)}`, pass: (ratio) => ratio <= 3 }],
  };
}

function scalePool({ small, large, changes }) {
  const many = `smt-rx, ${int(large)} providers`;
  const few = `smt-rx, ${int(small)} providers`;
  return {
    id: 'scale-pool',
    script: 'scale-pool.mjs',
    title: `Scale, live pool changes: ${int(changes)} each of updateProviderServers, addProvider, removal, partial change and pipeline leaving with ${int(large)} vs ${int(small)} providers`,
    note: 'CPU µs per change, each with one task submitted right after it (to the changed or added provider; to another after a removal): an index brought up to date lazily pays at that start. Every provider shares one pool of 16 servers; the changed one alternates between the 16 and the 16 plus one of its own; each added provider is then removed (its pool emptied: the manager has no removal of its own); then one provider alternates between the 16 and the first 8 of them (it leaves and rejoins part of the class every provider shares); last, as many `serverSlots` pipelines share one broker and some are unsubscribed (a leave of the broker), each followed by one item through another. The ratio many/few providers is the point: a change must cost what it changes.',
    variants: [variant('smt-rx', [large, changes], many), variant('smt-rx', [small, changes], few)],
    metrics: [
      { key: 'usPerChange', label: 'CPU µs/pool change', format: 'num', ratio: true, better: 'lower' },
      { key: 'usPerAdd', label: 'CPU µs/addProvider', format: 'num', ratio: true, better: 'lower' },
      { key: 'usPerRemove', label: 'CPU µs/removal', format: 'num', ratio: true, better: 'lower' },
      { key: 'usPerPartial', label: 'CPU µs/partial change', format: 'num', ratio: true, better: 'lower' },
      { key: 'usPerLeave', label: 'CPU µs/pipeline left', format: 'num', ratio: true, better: 'lower' },
    ],
    targets: [
      { metric: 'usPerChange', vs: few, text: `a pool change with ${int(large)} providers ≤ 3× one with ${int(small)}`, pass: (ratio) => ratio <= 3 },
      { metric: 'usPerAdd', vs: few, text: `addProvider with ${int(large)} providers ≤ 3× with ${int(small)}`, pass: (ratio) => ratio <= 3 },
      { metric: 'usPerRemove', vs: few, text: `a removal with ${int(large)} providers ≤ 3× one with ${int(small)}`, pass: (ratio) => ratio <= 3 },
      { metric: 'usPerPartial', vs: few, text: `a partial change with ${int(large)} providers ≤ 3× one with ${int(small)}`, pass: (ratio) => ratio <= 3 },
      { metric: 'usPerLeave', vs: few, text: `a serverSlots pipeline leaving a broker of ${int(large)} ≤ 3× one of ${int(small)}`, pass: (ratio) => ratio <= 3 },
    ],
  };
}
