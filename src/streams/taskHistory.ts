import type { TaskEvent } from '../types.js';
import { outcomeEvent } from './outcomeEvent.js';
import type { TaskRecord } from './taskRecord.js';

/** An attempt as its history needs it. */
export interface RunHistory {
  readonly startedAt: number;
  readonly attempt: number;
  readonly server: string;
  readonly previous: RunHistory | undefined;
  readonly later: readonly TaskEvent[] | undefined;
}

/**
 * Every event of a task so far, up to its outcome, rebuilt from what the manager keeps anyway:
 * the record (queued, its first wait, the outcome) and its chain of attempts (each start, and the
 * rare events that followed it). No event is stored for a task nobody watches, so the replay of a
 * handle's `events$` costs nothing on the hot path.
 * @internal
 */
export function taskHistory(record: TaskRecord, last: RunHistory | undefined): TaskEvent[] {
  const { id, provider } = record;
  const events: TaskEvent[] = [{ type: 'queued', id, provider, at: record.submittedAt, priority: record.priority }];
  if (record.waited) events.push({ type: 'waiting-for-slot', id, provider, at: record.submittedAt });
  const runs: RunHistory[] = [];
  for (let run = last; run !== undefined; run = run.previous) runs.push(run);
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i] as RunHistory;
    events.push({ type: 'started', id, provider, at: run.startedAt, attempt: run.attempt, server: run.server });
    if (run.later !== undefined) events.push(...run.later);
  }
  const outcome = record.outcome;
  if (outcome !== undefined) events.push(outcomeEvent(record, outcome, record.submittedAt + outcome.elapsedMs));
  return events;
}
