import { expect } from 'vitest';
import type { ConcurrencyServer } from './concurrencyServer.js';
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
