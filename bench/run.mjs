// Benchmark driver (`npm run bench`; method in bench/README.md). Runs every scenario's variants,
// each measurement in a fresh `node --expose-gc` child and one child at a time, in interleaved
// rounds with the start rotated each round, then prints a markdown table per scenario.
//
//   node bench/run.mjs [--quick] [--only <scenario>] [--rounds <n>] [--peers-only]
//
// --quick       1 round at tiny sizes: a CI smoke test that the suite runs and verifies, not speed.
// --only        one scenario id (e.g. latency, throughput-1x16) or a prefix (throughput).
// --rounds      rounds per scenario (default 5; 1 with --quick).
// --peers-only  skip smt-rx, e.g. before `npm run build`.
//
// Exits non-zero when any child fails or reports ok: false. A full run of every scenario and system
// with at least 5 rounds rewrites BENCHMARKS.md; every run also leaves its raw JSON lines and its report
// in bench/results/ (git-ignored).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import { renderScenario, spread, tableMarkdown, targetsTable } from './report.mjs';
import { buildScenarios } from './scenarios.mjs';
import { DIST } from './smt.mjs';

const ROOT = new URL('../', import.meta.url);
const SYSTEMS_DIR = new URL('systems/', import.meta.url);
const RESULTS_DIR = new URL('results/', import.meta.url);
const MIN_FULL_ROUNDS = 5;
const USAGE = 'usage: node bench/run.mjs [--quick] [--only <scenario>] [--rounds <n>] [--peers-only]';

function parseOptions(argv) {
  const options = { quick: false, only: undefined, rounds: undefined, peersOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--peers-only') options.peersOnly = true;
    else if (arg === '--only' && i + 1 < argv.length) options.only = argv[++i];
    else if (arg === '--rounds' && Number.isInteger(Number(argv[i + 1])) && Number(argv[i + 1]) > 0) options.rounds = Number(argv[++i]);
    else throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
  }
  options.rounds ??= options.quick ? 1 : MIN_FULL_ROUNDS;
  return options;
}

function selectScenarios(options) {
  const all = buildScenarios(options.quick);
  const selected = all.filter((s) => options.only === undefined || s.id === options.only || s.id.startsWith(`${options.only}-`));
  if (selected.length === 0) throw new Error(`no scenario "${options.only}"; scenarios: ${all.map((s) => s.id).join(', ')}`);
  return selected
    .map((scenario) => ({ scenario, variants: scenario.variants.filter((v) => !(options.peersOnly && v.system === 'smt-rx')) }))
    .filter(({ variants }) => variants.length > 0);
}

/** Runs one child to completion and returns its JSON line, or a failure naming what went wrong. */
function runChild(script, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL(script, SYSTEMS_DIR)), ...args.map(String)], {
      cwd: fileURLToPath(ROOT),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = lastJsonLine(stdout);
      if (result === undefined) {
        const reason = signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exit ${code}, no JSON line`;
        resolve({ ok: false, error: `${reason}: ${stderr.trim().split('\n').slice(-3).join(' ⏎ ')}` });
      } else if (code !== 0 && result.ok) {
        resolve({ ...result, ok: false, error: `exit ${code} after reporting ok` });
      } else {
        resolve(result);
      }
    });
  });
}

function lastJsonLine(text) {
  const line = text.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Round r runs the variants starting at index r mod count, so no variant always goes first. */
const rotated = (list, round) => list.map((_, i) => list[(i + round) % list.length]);

async function runScenario({ scenario, variants }, options, rawFile) {
  const results = new Map(variants.map((v) => [v.label, []]));
  const timeoutMs = options.quick ? 60_000 : 30 * 60_000;
  for (let round = 0; round < options.rounds; round++) {
    for (const v of rotated(variants, round)) {
      const started = Date.now();
      const result = await runChild(scenario.script, v.args, timeoutMs);
      results.get(v.label).push(result);
      appendFileSync(rawFile, `${JSON.stringify({ scenario: scenario.id, variant: v.label, round, args: v.args, result })}\n`);
      const status = result.ok ? 'ok' : `FAILED: ${result.error}`;
      process.stderr.write(`[${scenario.id}] round ${round + 1}/${options.rounds} ${v.label}: ${status} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  }
  return results;
}

function packageVersion(name) {
  const file = new URL(`node_modules/${name}/package.json`, ROOT);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : 'not installed';
}

function machineTable(options, runs, durationMs) {
  const cpus = os.cpus();
  const smtVersion = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).version;
  const build = process.env.SMT_RX_DIST ? `SMT_RX_DIST=${process.env.SMT_RX_DIST}` : 'dist';
  const built = existsSync(DIST) ? `built ${statSync(DIST).mtime.toISOString()}` : 'not built';
  const smt = options.peersOnly ? `${smtVersion} (not run: --peers-only)` : `${smtVersion} (${build} ${built})`;
  const load = spread(runs, 'loadavg1');
  const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  return tableMarkdown(
    ['item', 'value'],
    [
      ['CPU', `\`nproc\` = ${os.availableParallelism()}, ${cpus[0]?.model ?? 'unknown'} (${cpus.length} logical CPUs)`],
      ['RAM', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['OS', `${os.type()} ${os.release()} ${os.arch()}`],
      ['Node', `${process.version} (V8 ${process.versions.v8})`],
      ['packages', `smt-rx ${smt} · p-queue ${packageVersion('p-queue')} · fastq ${packageVersion('fastq')} · rxjs ${packageVersion('rxjs')}`],
      ['date', new Date().toISOString()],
      ['command', `\`${command}\`${process.env.npm_lifecycle_event ? ` (via \`npm run ${process.env.npm_lifecycle_event}\`)` : ''}`],
      ['rounds', `${options.rounds} per scenario, systems interleaved with the start rotated each round, one fresh process per run`],
      ['1-min load average at the end of each run', load ? `${load.median.toFixed(2)} (${load.min.toFixed(2)}–${load.max.toFixed(2)})` : '–'],
      ['duration', `${(durationMs / 60_000).toFixed(1)} min`],
    ],
  );
}

function report(options, sections, runs, durationMs) {
  const targets = sections.flatMap((s) => s.targets);
  return [
    '# smt-rx benchmarks',
    '',
    `${options.quick ? 'Quick (smoke test) run' : 'Latest full run'} of the suite in \`bench/\` (method: \`bench/README.md\`). Cells are median (min–max) over the runs; ratios divide the first row's median by the row's median.`,
    '',
    machineTable(options, runs, durationMs),
    '',
    '## Targets',
    '',
    options.peersOnly ? 'Not checked: smt-rx was not run (--peers-only).' : targetsTable(targets),
    '',
    '## Scenarios',
    '',
    sections.map((s) => s.markdown).join('\n\n'),
    '',
  ].join('\n');
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const selected = selectScenarios(options);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = new URL(`${stamp}${options.quick ? '-quick' : ''}`, RESULTS_DIR);
  const rawFile = new URL(`${base.href}.jsonl`);
  const started = Date.now();
  const sections = [];
  const allRuns = [];
  for (const entry of selected) {
    const results = await runScenario(entry, options, rawFile);
    const section = renderScenario(entry.scenario, entry.variants, results);
    process.stdout.write(`\n${section.markdown}\n`);
    sections.push(section);
    for (const runs of results.values()) allRuns.push(...runs);
  }
  const markdown = report(options, sections, allRuns, Date.now() - started);
  writeFileSync(new URL(`${base.href}.md`), markdown);
  // BENCHMARKS.md keeps the latest complete run only: a quick, partial or short run would hide it.
  const complete = !options.quick && !options.peersOnly && options.only === undefined && options.rounds >= MIN_FULL_ROUNDS;
  if (complete) writeFileSync(new URL('BENCHMARKS.md', ROOT), markdown);
  const failed = allRuns.filter((run) => !run.ok).length;
  if (!options.peersOnly) process.stdout.write(`\n${targetsTable(sections.flatMap((s) => s.targets))}\n`);
  process.stderr.write(
    `\n${allRuns.length} runs, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s. Report: ${fileURLToPath(base)}.md${complete ? ' and BENCHMARKS.md' : ''}\n`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
  process.exitCode = 2;
});
