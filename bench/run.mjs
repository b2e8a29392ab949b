// Benchmark driver (`npm run bench`; method in bench/README.md). Runs every scenario's variants,
// each measurement in a fresh `node --expose-gc` child and one child at a time, in interleaved
// rounds with the start rotated each round, then prints a markdown table per scenario.
//
//   node bench/run.mjs [--quick] [--only <scenario,…>] [--rounds <n>] [--peers-only] [--baseline <dir>]
//
// --quick       1 round at tiny sizes: a CI smoke test that the suite runs and verifies, not speed.
// --only        scenario ids (e.g. latency, throughput-1x16) or prefixes (throughput), comma-separated.
// --rounds      rounds per scenario (default 5; 1 with --quick).
// --peers-only  skip smt-rx, e.g. before `npm run build`.
// --baseline    <dir> holds another build of smt-rx (<dir>/dist/index.js, e.g. from
//               `node bench/baseline.mjs HEAD~1`): every smt-rx row gets a "(baseline)" twin run on
//               it in the same rounds, and the report adds new/baseline ratios.
//
// Exits non-zero when any child fails or reports ok: false. A full run of every scenario and system
// with at least 5 rounds and no baseline rewrites BENCHMARKS.md; every run also leaves its raw JSON
// lines and its report in bench/results/ (git-ignored).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { readBaselineInfo } from './baseline.mjs';
import { baselineTable, renderScenario, spread, tableMarkdown, targetsTable } from './report.mjs';
import { buildScenarios, withBaseline } from './scenarios.mjs';
import { DIST } from './smt.mjs';

const ROOT = new URL('../', import.meta.url);
const SYSTEMS_DIR = new URL('systems/', import.meta.url);
const RESULTS_DIR = new URL('results/', import.meta.url);
const MIN_FULL_ROUNDS = 5;
const USAGE = 'usage: node bench/run.mjs [--quick] [--only <scenario,…>] [--rounds <n>] [--peers-only] [--baseline <dir>]';

/** The fleet section of BENCHMARKS.md (written by `npm run bench:fleet`), carried over unchanged. */
function fleetSection() {
  const file = new URL('BENCHMARKS.md', ROOT);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = text.indexOf('<!-- fleet:start -->');
  const end = text.indexOf('<!-- fleet:end -->');
  return start < 0 || end < start ? '' : `\n${text.slice(start, end + '<!-- fleet:end -->'.length)}\n`;
}

function parseOptions(argv) {
  const options = { quick: false, only: undefined, rounds: undefined, peersOnly: false, baselineDist: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--peers-only') options.peersOnly = true;
    else if (arg === '--only' && i + 1 < argv.length) options.only = argv[++i].split(',').filter(Boolean);
    else if (arg === '--rounds' && Number.isInteger(Number(argv[i + 1])) && Number(argv[i + 1]) > 0) options.rounds = Number(argv[++i]);
    else if (arg === '--baseline' && i + 1 < argv.length) options.baselineDist = baselineDist(argv[++i]);
    else throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
  }
  options.rounds ??= options.quick ? 1 : MIN_FULL_ROUNDS;
  if (options.baselineDist && options.peersOnly) throw new Error('--baseline compares smt-rx builds: it cannot run with --peers-only');
  return options;
}

/** <dir> → the URL of <dir>/dist/index.js, checked up front rather than failing every baseline run. */
function baselineDist(dir) {
  const index = path.resolve(dir, 'dist', 'index.js');
  if (!existsSync(index)) throw new Error(`--baseline ${dir}: ${index} is missing; build one with: node bench/baseline.mjs <git-rev>`);
  return pathToFileURL(index);
}

/** An id matches `--only` when it equals one of the names or starts with one followed by "-". */
const matchesOnly = (id, only) => only === undefined || only.some((name) => id === name || id.startsWith(`${name}-`));

function selectScenarios(options) {
  const all = buildScenarios(options.quick);
  const selected = all.filter((s) => matchesOnly(s.id, options.only));
  if (selected.length === 0) throw new Error(`no scenario "${options.only}"; scenarios: ${all.map((s) => s.id).join(', ')}`);
  return selected
    .map((scenario) => (options.baselineDist ? withBaseline(scenario, options.baselineDist) : scenario))
    .map((scenario) => ({ scenario, variants: scenario.variants.filter((v) => !(options.peersOnly && v.system === 'smt-rx')) }))
    .filter(({ variants }) => variants.length > 0);
}

/** The build an smt-rx variant must load: its twin's baseline, else this checkout's (or SMT_RX_DIST's). */
const distOf = (v) => v.dist ?? DIST;

/** Each smt-rx child is told its build in SMT_RX_DIST, so the two builds never share a path. */
function childEnv(v) {
  return v.system === 'smt-rx' ? { ...process.env, SMT_RX_DIST: fileURLToPath(distOf(v)) } : process.env;
}

/** Fails an smt-rx run that reports another build than its row's (e.g. a stale smt.mjs ignoring SMT_RX_DIST). */
function checkBuild(v, result) {
  if (v.system !== 'smt-rx' || !result.ok || result.smtRx === distOf(v).href) return result;
  return { ...result, ok: false, error: `loaded ${result.smtRx ?? 'an unreported build'}, expected ${distOf(v).href}` };
}

/** Runs one child to completion and returns its JSON line, or a failure naming what went wrong. */
function runChild(script, args, timeoutMs, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL(script, SYSTEMS_DIR)), ...args.map(String)], {
      cwd: fileURLToPath(ROOT),
      env,
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

/**
 * A variant and its baseline twin form one unit that runs back to back (the drift between them
 * stays small), the twin first on odd rounds (neither build always runs first); units rotate.
 */
function roundOrder(variants, round) {
  const units = variants.filter((v) => v.twinOf === undefined).map((v) => [v, ...variants.filter((t) => t.twinOf === v)]);
  return rotated(units, round).flatMap((unit) => (round % 2 === 1 ? unit.reverse() : unit));
}

async function runScenario({ scenario, variants }, options, rawFile) {
  const results = new Map(variants.map((v) => [v.label, []]));
  const timeoutMs = options.quick ? 60_000 : 30 * 60_000;
  for (let round = 0; round < options.rounds; round++) {
    for (const v of roundOrder(variants, round)) {
      const started = Date.now();
      const result = checkBuild(v, await runChild(scenario.script, v.args, timeoutMs, childEnv(v)));
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
  const baseline = options.baselineDist ? [['baseline', describeBaseline(options.baselineDist)]] : [];
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
      ...baseline,
      ['date', new Date().toISOString()],
      ['command', `\`${command}\`${process.env.npm_lifecycle_event ? ` (via \`npm run ${process.env.npm_lifecycle_event}\`)` : ''}`],
      ['rounds', `${options.rounds} per scenario, systems interleaved with the start rotated each round, one fresh process per run`],
      ['1-min load average at the end of each run', load ? `${load.median.toFixed(2)} (${load.min.toFixed(2)}–${load.max.toFixed(2)})` : '–'],
      ['duration', `${(durationMs / 60_000).toFixed(1)} min`],
    ],
  );
}

/** "<dir>/dist/index.js (git <commit>, dist built <time>)", from the file bench/baseline.mjs leaves. */
function describeBaseline(dist) {
  const info = readBaselineInfo(path.dirname(path.dirname(fileURLToPath(dist))));
  const commit = info ? `git ${info.rev} = ${info.commit.slice(0, 12)}, ` : '';
  return `\`${fileURLToPath(dist)}\` (${commit}dist built ${statSync(dist).mtime.toISOString()})`;
}

function baselineSection(options, sections) {
  if (!options.baselineDist) return [];
  const intro =
    'Each smt-rx row has a "(baseline)" twin running the baseline build in the same rounds, back to back with it. new / baseline divides the medians; "per round" divides the two runs of each round (back to back, so the drift between rounds cancels), and its min–max is the noise to read the ratio against. Above 1× is better for higher-is-better metrics, below 1× for lower-is-better ones.';
  const quick = options.quick ? ' Quick run: tiny sizes and one round, so these ratios only show that both builds ran; they measure nothing.' : '';
  return ['## New vs baseline', '', `${intro}${quick}`, '', baselineTable(sections.flatMap((s) => s.comparisons)), ''];
}

function report(options, sections, runs, durationMs) {
  const targets = sections.flatMap((s) => s.targets);
  const kind = options.quick ? 'Quick (smoke test) run' : options.baselineDist ? 'Run against a baseline build' : 'Latest full run';
  return [
    '# smt-rx benchmarks',
    '',
    `${kind} of the suite in \`bench/\` (method: \`bench/README.md\`). Cells are median (min–max) over the runs; ratios divide the first row's median by the row's median.`,
    '',
    machineTable(options, runs, durationMs),
    '',
    '## Targets',
    '',
    options.peersOnly ? 'Not checked: smt-rx was not run (--peers-only).' : targetsTable(targets),
    '',
    ...baselineSection(options, sections),
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
  // BENCHMARKS.md keeps the latest complete run only: a quick, partial or short run would hide it,
  // and a baseline run is an A/B check with twice the smt-rx rows, not the published figures.
  const complete = !options.quick && !options.peersOnly && !options.baselineDist && options.only === undefined && options.rounds >= MIN_FULL_ROUNDS;
  if (complete) writeFileSync(new URL('BENCHMARKS.md', ROOT), `${markdown.trimEnd()}\n${fleetSection()}`);
  const failed = allRuns.filter((run) => !run.ok).length;
  if (!options.peersOnly) process.stdout.write(`\n${targetsTable(sections.flatMap((s) => s.targets))}\n`);
  if (options.baselineDist) process.stdout.write(`\nNew vs baseline (${fileURLToPath(options.baselineDist)}):\n\n${baselineTable(sections.flatMap((s) => s.comparisons))}\n`);
  process.stderr.write(
    `\n${allRuns.length} runs, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s. Report: ${fileURLToPath(base)}.md${complete ? ' and BENCHMARKS.md' : ''}\n`,
  );
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
  process.exitCode = 2;
});
