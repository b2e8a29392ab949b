import type { TaskEvent, TaskOutcome } from '../types.js';
import type { TaskRecord } from './taskRecord.js';

// Built field by field: on Node 20 an object spread here (`{ ...base, type }`) took V8's slow
// clone path and cost about 12 µs per event, more than the whole rest of a task's dispatch.
/** The event that announces a task's outcome. @internal */
export function outcomeEvent(record: TaskRecord, outcome: TaskOutcome, at: number): TaskEvent {
  const { id, provider } = record;
  switch (outcome._tag) {
    case 'Succeeded':
      return { type: 'succeeded', id, provider, at, attempts: outcome.attempts, server: outcome.server, elapsedMs: outcome.elapsedMs };
    case 'Failed':
      return { type: 'failed', id, provider, at, attempts: outcome.attempts, error: outcome.error, elapsedMs: outcome.elapsedMs };
    case 'Cancelled':
      return { type: 'cancelled', id, provider, at, attempts: outcome.attempts, reason: outcome.reason, elapsedMs: outcome.elapsedMs };
  }
}
