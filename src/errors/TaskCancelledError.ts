import type { CancelReason } from '../types.js';

/** The reason an attempt's `AbortSignal` carries when its task is cancelled. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  readonly isTaskCancelledError = true;
  constructor(
    readonly taskId: string,
    readonly reason: CancelReason = 'cancel',
  ) {
    super(`Task '${taskId}' was cancelled (${reason})`);
  }
}
