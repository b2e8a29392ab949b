// The smt-rx side of every scenario: loads the built package and builds the manager the issue's
// targets are stated for, the "full pipeline": priorities, per-server slots, per-attempt timeouts
// and retries enabled, and one subscriber on events$ (which is also how completions are counted).
import { existsSync } from 'node:fs';
import { pathToFileURL, URL } from 'node:url';
import { check, runFacts } from './lib.mjs';

// SMT_RX_DIST points at another build's index.js. The driver sets it for every smt-rx child, so
// with --baseline each child imports exactly the build its row names.
export const DIST = process.env.SMT_RX_DIST ? pathToFileURL(process.env.SMT_RX_DIST) : new URL('../dist/index.js', import.meta.url);

export async function loadSmt() {
  // A one-line reason in the report instead of a module-not-found stack trace.
  if (!existsSync(DIST)) throw new Error(`dist not built: ${DIST.pathname} is missing`);
  // Reported back so the driver can check that the row's build is the one that ran.
  runFacts.smtRx = DIST.href;
  return import(DIST.href);
}

export const serverName = (i) => `s${i + 1}`;
export const providerName = (i) => `p${i}`;

const runPayload = (task) => task.payload();

/**
 * `providers` providers sharing one pool of `servers` servers, each server a budget of `limit`
 * slots: spreading tasks over more providers changes the scheduling work, not the concurrency.
 */
export function createManager(smt, { providers = 1, servers = 1, limit = 1 } = {}) {
  const pool = Array.from({ length: servers }, (_, i) => serverName(i));
  return smt.createTaskManager({
    providers: Array.from({ length: providers }, (_, i) => ({ name: providerName(i), servers: pool, handle: runPayload })),
    serverLimits: Object.fromEntries(pool.map((server) => [server, limit])),
    defaultServerLimit: limit,
    retry: { maxRetries: 2 },
    timeout: 60_000,
  });
}

/** submit(), unwrapping the Either: a rejected submit fails the run. */
export function submitOrThrow(manager, input) {
  const result = manager.submit(input);
  if (result._tag !== 'Right') throw new Error(`submit rejected: ${JSON.stringify(result.left)}`);
  return result.right;
}

/** The one events$ subscriber: counts outcomes and resolves `settled(n)` at n outcomes. */
export function trackOutcomes(manager) {
  const counts = { succeeded: 0, failed: 0, cancelled: 0 };
  const total = () => counts.succeeded + counts.failed + counts.cancelled;
  let waiter = null;
  const subscription = manager.events$.subscribe((event) => {
    if (event.type !== 'succeeded' && event.type !== 'failed' && event.type !== 'cancelled') return;
    counts[event.type]++;
    if (waiter !== null && total() >= waiter.target) {
      waiter.resolve();
      waiter = null;
    }
  });
  return {
    counts,
    subscription,
    // Any outcome counts, so a failing task shows up in verification instead of hanging the run.
    settled(n) {
      if (total() >= n) return Promise.resolve();
      return new Promise((resolve) => {
        waiter = { target: n, resolve };
      });
    },
  };
}

/** Queued tasks summed over all providers. */
export function queuedCount(manager) {
  let queued = 0;
  for (const stats of Object.values(manager.stats().providers)) queued += stats.queued;
  return queued;
}

/** After a drain: exactly `expected` tasks succeeded and nothing is left queued or running. */
export function verifyAllSucceeded(manager, outcomes, expected) {
  const { succeeded, failed, cancelled } = outcomes.counts;
  check(succeeded === expected && failed === 0, `smt-rx outcomes: ${succeeded} succeeded, ${failed} failed, ${cancelled} cancelled; expected ${expected} succeeded`);
  for (const [name, stats] of Object.entries(manager.stats().providers)) {
    check(stats.queued === 0 && stats.running === 0 && (stats.waiting ?? 0) === 0, `smt-rx provider ${name} idle: ${JSON.stringify(stats)}`);
  }
}

/** Drains the manager and drops the subscriber. */
export async function closeManager(manager, outcomes) {
  const report = await manager.shutdown({ mode: 'drain' });
  outcomes.subscription.unsubscribe();
  return report;
}

/** Another entry point of the same build (e.g. 'p-queue' for dist/p-queue/index.js), reported as that build. */
export async function loadSmtSubpath(subpath) {
  const entry = new URL(`./${subpath}/index.js`, DIST);
  if (!existsSync(entry)) throw new Error(`dist not built: ${entry.pathname} is missing`);
  runFacts.smtRx = DIST.href;
  return import(entry.href);
}
