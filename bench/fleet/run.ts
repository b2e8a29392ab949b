// `npm run bench:fleet`: adaptive limits, health and load-aware choice against simulated servers
// with hidden capacities, in virtual time (deterministic: the same figures on every machine).
// Prints each scenario's table and its targets, writes the limits over time to
// bench/fleet-limits.txt and the report to bench/fleet-report.md (BENCHMARKS.md's fleet section).
import { readFileSync, writeFileSync } from 'node:fs';
import { BAD_FROM, BAD_TO, capacitiesFleet, serverGoesBad, slowServer, unknownCapacities, type Variant } from './scenarios.js';
import { sparkline } from './sim.js';

const ROOT = new URL('../../', import.meta.url);
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (a: number, b: number): string => (b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

interface Target {
  readonly what: string;
  readonly figure: string;
  readonly met: boolean;
}
const target = (what: string, figure: string, met: boolean): Target => ({ what, figure, met });

function table(variants: readonly Variant[], latency: 'attempt' | 'task'): string {
  const rows = variants.map(({ name, result: r }) => {
    const p50 = latency === 'attempt' ? r.attemptP50 : r.taskP50;
    const p99 = latency === 'attempt' ? r.attemptP99 : r.taskP99;
    return `| ${name} | ${fmt(r.goodput, 1)} | ${fmt(p50)} | ${fmt(p99)} | ${r.errors} | ${r.failedTasks} |`;
  });
  return [`| variant | goodput (tasks/s) | ${latency} p50 (ms) | ${latency} p99 (ms) | server errors | failed tasks |`, '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function capacitiesSection(): { markdown: string; targets: Target[]; plot: string } {
  const variants = unknownCapacities();
  const by = (name: string) => (variants.find((v) => v.name === name) as Variant).result;
  const oracle = by('oracle');
  const fixed1 = by('fixed 1');
  const fixed64 = by('fixed 64');
  const targets: Target[] = [];
  const plot: string[] = [];
  for (const name of ['adaptive gradient', 'adaptive aimd', 'adaptive aimd, tolerance 1.2']) {
    const r = by(name);
    targets.push(
      target(`${name}: goodput ≥ 0.9× oracle`, ratio(r.goodput, oracle.goodput), r.goodput >= 0.9 * oracle.goodput),
      target(`${name}: goodput ≥ 2× fixed 1`, ratio(r.goodput, fixed1.goodput), r.goodput >= 2 * fixed1.goodput),
      target(`${name}: p99 ≤ 1.3× oracle`, ratio(r.attemptP99, oracle.attemptP99), r.attemptP99 <= 1.3 * oracle.attemptP99),
      target(`${name}: errors ≤ 0.2× fixed 64`, ratio(r.errors, fixed64.errors), r.errors <= 0.2 * fixed64.errors),
    );
    plot.push(`${name}: each server's limit, once a second over 60 s (█ = 32 or more)`);
    for (const spec of capacitiesFleet) {
      const limits = r.limits[new URL(spec.url).href] ?? r.limits[spec.url] ?? [];
      const last = limits.at(-1) ?? NaN;
      plot.push(`  ${spec.url.padEnd(15)} capacity ${String(spec.capacity).padStart(2)}  ${sparkline(limits, 32)}  last ${last}`);
    }
    plot.push('');
  }
  const markdown = [
    '### 1. Unknown capacities',
    '',
    '8 servers of capacities 2, 4, …, 16 at 100 ms without load (the manager is not told); 3 providers (one over all 8 servers, two over 4 each), random priorities 0–9, a backlog of 200 tasks (a new one as each ends), retries 2. Measured from 10 s to 60 s of virtual time; latency is the successful attempt\'s (start to result): with a backlog, the time from submission is the backlog over the goodput. Adaptive: `{ min: 1, max: 64, initial: 4 }` per server.',
    '',
    table(variants, 'attempt'),
    '',
    '```',
    ...plot,
    '```',
  ].join('\n');
  return { markdown, targets, plot: plot.join('\n') };
}

function badSection(): { markdown: string; targets: Target[] } {
  const [on, off, without] = serverGoesBad() as [Variant, Variant, Variant];
  const bad = on.result.servers[0];
  const badKey = new URL('http://s0.fleet').href;
  const events = on.result.serverEvents.filter((e) => e.budget === badKey);
  // Failed attempts on s0 from the start of its bad period to the delivery of its first ejection
  // (by order, not time: attempts already running still fail at the same virtual instant after it).
  const firstIndex = on.result.serverEvents.findIndex((e) => e.budget === badKey && e.type === 'server-ejected');
  const failuresBefore = (on.result.failuresAtEvent[firstIndex] ?? NaN) - (bad?.log.failed.filter((at) => at < BAD_FROM).length ?? 0);
  // Starts on s0 within each ejection (from the ejection to the next event on it) while it is bad.
  const probes: number[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'server-ejected' || e.at >= BAD_TO) return;
    const next = events[i + 1]?.at ?? Infinity;
    probes.push(bad?.log.started.filter((at) => at > e.at && at < next).length ?? NaN);
  });
  const restored = events.find((e) => e.type === 'server-restored' && e.at >= BAD_TO);
  const lastEjection = [...events].reverse().find((e) => e.type === 'server-ejected' && e.at < BAD_TO);
  const period = lastEjection?.type === 'server-ejected' ? lastEjection.until - lastEjection.at : NaN;
  const restoreDelay = restored === undefined ? Infinity : restored.at - BAD_TO;
  const targets = [
    target('ejected within 5 failures', `${failuresBefore} failures`, failuresBefore <= 5),
    target('≤ 1 probe per back-off period while bad', `${probes.join(', ')} starts per ejection`, probes.every((n) => n <= 1)),
    target('restored within one period of recovery', `${fmt(restoreDelay / 1000, 1)} s after (period ${fmt(period / 1000)} s)`, restoreDelay <= period),
    target('goodput while bad ≥ 0.9× the fleet without s0', ratio(on.result.goodput, without.result.goodput), on.result.goodput >= 0.9 * without.result.goodput),
  ];
  const timeline = events.map((e) => `${fmt(e.at / 1000, 2)} s ${e.type}${'reason' in e ? ` (${e.reason})` : ''}`).join('; ');
  const markdown = [
    '### 2. A server goes bad',
    '',
    `4 servers of capacity 8 (limit 8, 100 ms); every attempt on s0 fails (after 50 ms) from 10 s to 40 s; Poisson arrivals at 224 tasks/s (70 % of the 4 servers), retries 2 (backoff 50 ms doubling). Measured from 10 s to 40 s; latency from submission. Health: the defaults (\`health: true\`: 5 failures in a row, 5 s doubling to 60 s, at most half the pool out).`,
    '',
    table([on, off, without], 'task'),
    '',
    `s0's events with health on: ${timeline}.`,
  ].join('\n');
  return { markdown, targets };
}

function slowSection(): { markdown: string; targets: Target[] } {
  const targets: Target[] = [];
  const parts: string[] = [];
  for (const share of [0.5, 0.75]) {
    const [slots, ...latencyRules] = slowServer(share) as [Variant, Variant, Variant];
    for (const rule of latencyRules) {
      const cut = 1 - rule.result.taskP99 / slots.result.taskP99;
      const equal = Math.abs(rule.result.goodput / slots.result.goodput - 1) <= 0.02;
      targets.push(target(`at ${share * 100} % load: ${rule.name} cuts p99 by ≥ 30 % at equal goodput`, `${fmt(cut * 100)} % (goodput ${ratio(rule.result.goodput, slots.result.goodput)})`, cut >= 0.3 && equal));
    }
    const slowShare = (v: Variant): string => {
      const starts = v.result.servers.map((s) => s.log.started.length);
      return `${fmt((100 * (starts[3] ?? 0)) / starts.reduce((a, b) => a + b, 0), 1)} %`;
    };
    const shares = [slots, ...latencyRules].map((v) => `${v.name} ${slowShare(v)}`).join(', ');
    parts.push(`At ${share * 100} % of the fleet's capacity (${fmt(share * 266.7)} tasks/s); share of attempts on the slow server: ${shares}.`, '', table([slots, ...latencyRules], 'task'), '');
  }
  const markdown = [
    '### 3. A slow server',
    '',
    '4 servers of capacity 8 with their limit at 8; s3 takes 300 ms, the others 100 ms; Poisson arrivals; retries 2. Measured from 10 s to 60 s; latency from submission.',
    '',
    ...parts,
  ].join('\n');
  return { markdown, targets };
}

const started = Date.now();
const one = capacitiesSection();
const two = badSection();
const three = slowSection();
const targets = [...one.targets, ...two.targets, ...three.targets];
const targetTable = ['| target | figure | met |', '| --- | --- | --- |', ...targets.map((t) => `| ${t.what} | ${t.figure} | ${t.met ? 'yes' : '**no**'} |`)].join('\n');
const report = [
  '## Fleet: adaptive limits, health, load-aware choice',
  '',
  `\`npm run bench:fleet\` (bench/fleet/): simulated servers in virtual time (rxjs \`VirtualTimeScheduler\`), seeded, so the figures are the same on every machine. A server with n attempts running answers in \`base × max(1, n / capacity)\` (± 10 %) and fails past 2 × capacity. Goodput: successful tasks per second of virtual time.`,
  '',
  '### Targets',
  '',
  targetTable,
  '',
  one.markdown,
  '',
  two.markdown,
  '',
  three.markdown,
  '',
].join('\n');

process.stdout.write(`${report}\n`);
writeFileSync(new URL('bench/fleet-limits.txt', ROOT), `${one.plot}\n`);
writeFileSync(new URL('bench/fleet-report.md', ROOT), report);
// BENCHMARKS.md keeps the latest fleet run in its own section (bench/run.mjs carries it over).
const benchmarks = new URL('BENCHMARKS.md', ROOT);
const START = '<!-- fleet:start -->';
const END = '<!-- fleet:end -->';
const current = readFileSync(benchmarks, 'utf8');
const section = `${START}\n${report}${END}`;
const at = current.indexOf(START);
const next = at < 0 ? `${current.trimEnd()}\n\n${section}\n` : `${current.slice(0, at)}${section}${current.slice(current.indexOf(END) + END.length)}`;
writeFileSync(benchmarks, next);
process.stderr.write(`bench:fleet: ${targets.filter((t) => t.met).length}/${targets.length} targets met, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
