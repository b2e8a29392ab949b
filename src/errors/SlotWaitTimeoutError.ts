/** A task waited longer than `slotWait.maxWaitMs` for a server slot. Waiting never consumes a retry. */
export class SlotWaitTimeoutError extends Error {
  override readonly name = 'SlotWaitTimeoutError';
  readonly isSlotWaitTimeoutError = true;
  constructor(
    readonly taskId: string,
    /** The budget or server key the task was waiting on (the provider's pool when it has several). */
    readonly server: string,
    readonly waitedMs: number,
  ) {
    super(`Task '${taskId}' gave up on '${server}': no server slot after ${waitedMs} ms`);
  }
}
