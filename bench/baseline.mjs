// Builds another commit of smt-rx outside the repo, for `node bench/run.mjs --baseline <dir>`.
//
//   node bench/baseline.mjs <git-rev> [<dir>]
//
// Exports the tree of <git-rev> with `git archive` into <dir> (default: <os.tmpdir()>/smt-rx-baseline-
// <short hash>), symlinks this checkout's node_modules into it, runs its own build (`npx tsup` with
// its tsup.config.ts) and prints <dir> on stdout; progress goes to stderr. A dir already built for
// the same commit is reused (delete it to rebuild). Nothing is written inside the repo.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const USAGE = 'usage: node bench/baseline.mjs <git-rev> [<dir>]';
// Marks a dir as made here (so it may be wiped and rebuilt) and records what it holds.
const INFO_FILE = '.bench-baseline.json';

/** What bench/baseline.mjs recorded in <dir>: { rev, commit, builtAt? }, or undefined. */
export function readBaselineInfo(dir) {
  const file = path.join(dir, INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function git(...args) {
  const result = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The dir, refusing one inside the repo: the build must not touch this checkout. */
function targetDir(dirArg, shortHash) {
  const dir = path.resolve(dirArg ?? path.join(os.tmpdir(), `smt-rx-baseline-${shortHash}`));
  const relative = path.relative(ROOT, dir);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) throw new Error(`${dir} is inside the repo; pick a dir outside ${ROOT}`);
  return dir;
}

/** Empties a dir made here before; refuses a non-empty dir that is not, rather than deleting it. */
function prepareDir(dir) {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (readBaselineInfo(dir) === undefined) throw new Error(`${dir} is not empty and was not made by bench/baseline.mjs; pick another dir`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
}

/** `git archive <commit> | tar -x -C <dir>`, without a shell. */
function exportTree(commit, dir) {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', commit], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'inherit', 'inherit'] });
    archive.stdout.pipe(tar.stdin);
    tar.stdin.on('error', () => {}); // EPIPE when tar dies early: its exit code reports it
    const codes = [];
    const done = (name) => (code) => {
      codes.push(`${name} exit ${code}`);
      if (code !== 0) reject(new Error(`exporting ${commit}: ${codes.join(', ')}`));
      else if (codes.length === 2) resolve();
    };
    archive.on('close', done('git archive'));
    tar.on('close', done('tar'));
  });
}

/** Its own tsup build; tsup's output goes to stderr so stdout stays the dir alone. */
function build(dir) {
  const result = spawnSync('npx', ['--no-install', 'tsup'], { cwd: dir, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`npx tsup in ${dir} failed (exit ${result.status})`);
  if (!existsSync(path.join(dir, 'dist', 'index.js'))) throw new Error(`npx tsup in ${dir} left no dist/index.js`);
}

async function main() {
  const [rev, dirArg, ...extra] = process.argv.slice(2);
  if (rev === undefined || rev.startsWith('-') || extra.length > 0) throw new Error(USAGE);
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const dir = targetDir(dirArg, git('rev-parse', '--short', commit));
  const info = readBaselineInfo(dir);
  if (info?.commit === commit && info.builtAt && existsSync(path.join(dir, 'dist', 'index.js'))) {
    process.stderr.write(`${dir} already holds a build of ${commit.slice(0, 12)} (${info.builtAt}); reusing it\n`);
  } else {
    prepareDir(dir);
    // Written first, so a failed build still marks the dir as safe to wipe next time.
    writeFileSync(path.join(dir, INFO_FILE), `${JSON.stringify({ rev, commit })}\n`);
    process.stderr.write(`exporting ${rev} (${commit.slice(0, 12)}) to ${dir}\n`);
    await exportTree(commit, dir);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    build(dir);
    writeFileSync(path.join(dir, INFO_FILE), `${JSON.stringify({ rev, commit, builtAt: new Date().toISOString() })}\n`);
  }
  process.stdout.write(`${dir}\n`);
}

// Also imported by run.mjs (for readBaselineInfo): only run when it is the script itself.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 2;
  });
}
