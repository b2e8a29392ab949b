import type { Task } from '../types.js';
import type { TaskRecord } from './taskRecord.js';

/**
 * What a handler is given as `task`: a plain frozen copy of the documented fields, never the
 * manager's record, so setting a field, spreading it or `JSON.stringify` changes nothing inside
 * the manager and keeps `id`. Made per attempt: six fields, no closure.
 * @internal
 */
export function taskView<P>(record: TaskRecord<P>): Task<P> {
  return Object.freeze({
    id: record.id,
    provider: record.provider,
    payload: record.payload,
    priority: record.givenPriority,
    maxRetries: record.maxRetries,
    submittedAt: record.submittedAt,
  });
}
