/** The reason an attempt's `AbortSignal` carries when its task is cancelled. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  readonly isTaskCancelledError = true;
  constructor(
    readonly taskId: string,
    readonly reason: 'cancel' | 'shutdown' = 'cancel',
  ) {
    super(`Task '${taskId}' was cancelled (${reason})`);
  }
}
