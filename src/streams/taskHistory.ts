import type { TaskEvent } from '../types.js';
import { outcomeEvent } from './taskEnding.js';
import { Ending, type RunHistory } from './taskParts.js';
import type { TaskRecord } from './taskRecord.js';

/**
 * Every event of a task so far, up to its outcome, rebuilt from what the manager keeps anyway:
 * the record (queued, its first wait, the last start, the outcome) and, for a task with several
 * attempts or rare events, its chain of attempts (each start, and the rare events that followed). No event is stored for a task nobody watches, so the replay of a
 * handle's `events$` costs nothing on the hot path.
 * @internal
 */
export function taskHistory(record: TaskRecord): TaskEvent[] {
  const { id, provider } = record;
  const events: TaskEvent[] = [{ type: 'queued', id, provider, at: record.submittedAt, priority: record.givenPriority }];
  if (record.waited) events.push({ type: 'waiting-for-slot', id, provider, at: record.extras?.dueAt ?? record.submittedAt });
  const runs: RunHistory[] = [];
  for (let run = record.attempt ?? record.history; run !== undefined; run = run.previous) runs.push(run);
  // A retired task with one plain attempt keeps only where and when it started.
  if (runs.length === 0 && record.lastServer !== undefined) {
    runs.push({ startedAt: record.lastStartedAt, attempt: record.attempts, server: record.lastServer, previous: undefined, later: undefined });
  }
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i] as RunHistory;
    events.push({ type: 'started', id, provider, at: run.startedAt, attempt: run.attempt, server: run.server });
    if (run.later !== undefined) events.push(...run.later);
  }
  if (record.ending !== Ending.None) events.push(outcomeEvent(record, record.submittedAt + record.elapsedMs));
  return events;
}
