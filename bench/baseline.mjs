// Builds another commit of smt-rx outside the repo, for `node bench/run.mjs --baseline <dir>`.
//
//   node bench/baseline.mjs <git-rev> [<dir>]
//
// Exports the tree of <git-rev> with `git archive` into <dir> (default: <os.tmpdir()>/smt-rx-baseline-
// <short hash>), symlinks this checkout's node_modules into it, runs its own build (`npx tsup` with
// its tsup.config.ts) and prints <dir> on stdout; progress goes to stderr. A dir already built for
// the same commit is reused (delete it to rebuild). Nothing is written inside the repo.
// Several sessions may build the same default dir at once: each builds in its own sibling
// "<dir>.partial-<pid>" and renames it into place, so <dir> is never seen half-built.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** A finished build of `commit` in dir (the info file gets `builtAt` only after the build). */
function isBuilt(dir, commit) {
  const info = readBaselineInfo(dir);
  return info?.commit === commit && info.builtAt !== undefined && existsSync(path.join(dir, 'dist', 'index.js'));
}

/** Refuses a non-empty dir not made here, rather than deleting someone's files. */
function checkReplaceable(dir) {
  if (existsSync(dir) && readdirSync(dir).length > 0 && readBaselineInfo(dir) === undefined) {
    throw new Error(`${dir} is not empty and was not made by bench/baseline.mjs; pick another dir`);
  }
}

/**
 * Moves the finished build into place. If another session finished the same commit first, its dir
 * is kept and ours dropped (same tree, same build); a stale build of another commit is replaced.
 */
function install(partial, dir, commit) {
  if (isBuilt(dir, commit)) {
    rmSync(partial, { recursive: true, force: true });
    return;
  }
  checkReplaceable(dir);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
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

/** Export, node_modules link and build in `partial`; the info file marks it as ours from the start. */
async function buildInto(partial, rev, commit) {
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, INFO_FILE), `${JSON.stringify({ rev, commit })}\n`);
  await exportTree(commit, partial);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(partial, 'node_modules'), 'dir');
  build(partial);
  writeFileSync(path.join(partial, INFO_FILE), `${JSON.stringify({ rev, commit, builtAt: new Date().toISOString() })}\n`);
}

async function main() {
  const [rev, dirArg, ...extra] = process.argv.slice(2);
  if (rev === undefined || rev.startsWith('-') || extra.length > 0) throw new Error(USAGE);
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const dir = targetDir(dirArg, git('rev-parse', '--short', commit));
  if (isBuilt(dir, commit)) {
    process.stderr.write(`${dir} already holds a build of ${commit.slice(0, 12)}; reusing it\n`);
  } else {
    checkReplaceable(dir); // before the build, not after a minute of it
    const partial = `${dir}.partial-${process.pid}`;
    process.stderr.write(`exporting ${rev} (${commit.slice(0, 12)}) to ${partial}\n`);
    try {
      await buildInto(partial, rev, commit);
      install(partial, dir, commit);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw error;
    }
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
