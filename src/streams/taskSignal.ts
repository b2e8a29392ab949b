import type { TaskRecord } from './taskRecord.js';

/** Something that looks like an `AbortSignal` (checked at the boundary: duplicated realms have their own class). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (value === null || typeof value !== 'object') return false;
  const signal = value as Partial<AbortSignal>;
  return typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/**
 * Cancels `record` when its submission's signal aborts. The listener is removed when the task has
 * its outcome (`record.unwatch`), so a long-lived signal shared by many tasks does not keep
 * finished ones. `abort` runs the cancel as a whole transition of its own: an abort fired from user
 * code (a handler, a subscriber) is a manager call like `cancel(id)`.
 * @internal
 */
export function watchSignal(record: TaskRecord, signal: AbortSignal, abort: (record: TaskRecord, reason: unknown) => void): void {
  const listener = (): void => abort(record, signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  record.unwatch = () => signal.removeEventListener('abort', listener);
}
