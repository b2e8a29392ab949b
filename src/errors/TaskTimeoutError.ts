/** An attempt ran past its timeout; its `AbortSignal` was aborted. A timeout consumes a retry. */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  readonly isTaskTimeoutError = true;
  constructor(
    readonly taskId: string,
    readonly server: string,
    readonly timeoutMs: number,
  ) {
    super(`Task '${taskId}' timed out after ${timeoutMs} ms on server '${server}'`);
  }
}
