import { expect } from 'vitest';
import type { ConcurrencyServer } from './concurrencyServer.js';
import type { WorkerMessage } from './worker.js';
import type { WorkerProcess } from './workerProcess.js';

/** Outcomes reported so far by all the workers. */
export const outcomesOf = (workers: readonly WorkerProcess[]): number => workers.reduce((sum, w) => sum + w.of('outcome').length, 0);

/** Every worker's `perWorker` tasks ended once each, all Succeeded, each with exactly one request. */
export function expectEveryTaskEndedOnce(workers: readonly WorkerProcess[], perWorker: number, http: ConcurrencyServer): void {
  for (const w of workers) {
    const ids = w.of('outcome').map((o) => o.id);
    expect(ids).toHaveLength(perWorker);
    expect(new Set(ids).size).toBe(perWorker);
    expect(w.of('outcome').every((o) => o.tag === 'Succeeded')).toBe(true);
  }
  expect(http.requests).toHaveLength(workers.length * perWorker);
}

/**
 * Attempts a worker started after it saw Redis go away (its first `connection` error at or after
 * `since`) and before `until` (when Redis was started again): each of them had a slot granted while
 * Redis was away. A grant starts its attempt in the same turn as its reply, before the worker can
 * hear of the drop, and a worker's messages keep their order: so this is exact, whatever the lag
 * between the worker, the HTTP server and the test on a loaded machine.
 */
export function startsWhileAway(worker: WorkerProcess, since: number, until: number): WorkerMessage[] {
  const sawDrop = worker.messages.findIndex((m) => m.type === 'error' && m.kind === 'connection' && m.at >= since);
  if (sawDrop < 0) throw new Error(`worker ${worker.name} never reported the outage`);
  return worker.messages.slice(sawDrop + 1).filter((m) => m.type === 'started' && m.at < until);
}
