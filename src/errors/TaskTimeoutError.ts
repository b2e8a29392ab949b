/** An attempt ran past its timeout; its `AbortSignal` was aborted. A timeout consumes a retry. */
export class TaskTimeoutError extends Error {
  override readonly name = 'TaskTimeoutError';
  readonly isTaskTimeoutError = true;
  constructor(
    /** The task, or '' when the timeout was used without one (`attemptTimeout` alone). */
    readonly taskId: string,
    /** The server, or '' when none was given. */
    readonly server: string,
    readonly timeoutMs: number,
  ) {
    const subject = taskId === '' ? 'Attempt' : `Task '${taskId}'`;
    const where = server === '' ? '' : ` on server '${server}'`;
    super(`${subject} timed out after ${timeoutMs} ms${where}`);
  }
}
