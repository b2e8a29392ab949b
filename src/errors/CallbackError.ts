/** Where a throw came from when user code threw outside any task's attempt. */
export type CallbackSource =
  | 'events$ subscriber'
  | 'serverEvents$ subscriber'
  | 'stats$ subscriber'
  | 'clusterStats$ subscriber'
  | 'handle subscriber'
  | 'outcome listener'
  | 'isRetryable'
  | 'timeout function'
  | 'random'
  | 'logger'
  | 'handler teardown'
  | 'abort listener'
  | 'size signal subscriber';

/**
 * User code (a subscriber, a listener, an option's callback, the logger, a handler's teardown)
 * threw. The manager goes on as if it had not: no task's outcome changes, no slot is stranded.
 * It is reported on `manager.callbackErrors$` and, unless the logger itself threw, to the logger.
 */
export class CallbackError extends Error {
  override readonly name = 'CallbackError';
  readonly isCallbackError = true;
  constructor(
    readonly source: CallbackSource,
    override readonly cause: unknown,
    /** The task concerned, when there is one. */
    readonly taskId?: string,
  ) {
    super(`A ${source} threw${taskId === undefined ? '' : ` (task '${taskId}')`}: ${describeCause(cause)}`);
  }
}

function describeCause(cause: unknown): string {
  try {
    return cause instanceof Error ? cause.message : String(cause);
  } catch {
    return 'an unprintable value';
  }
}
