/**
 * The user code a manager's state changes call, queued on its trampoline and run once the change
 * is whole (see `Trampoline`). Each kind names what runs and what its two arguments are.
 * @internal
 */
export const enum Effect {
  /** a: TaskEvent, b: its TaskRecord: the events$ subscribers and the task's handle subscribers. */
  Emit = 0,
  /** a: TaskRecord: the outcome's listeners (`run`, `outcome$` subscribers). */
  Outcome = 1,
  /** a: AttemptRun: the timeout function, then the handler. */
  Invoke = 2,
  /** a: AttemptRun: abort its signal, unsubscribe an Observable handler. */
  Abort = 3,
  /** a: AttemptRun: a forced shutdown gives the slot back if the abort did not settle it. */
  Abandon = 4,
  /** a: AttemptRun, b: the error: `isRetryable` and `random` decide whether it is retried. */
  DecideFailure = 5,
  /** a: AttemptRun: its Observable handler finished during a state change; tear it down now. */
  InnerDone = 6,
  /** a: an Unsubscribable of user code (a handler's subscription) to tear down. */
  Teardown = 7,
  /** a: the level, b: [object, message]: a logger call. */
  Log = 8,
  /** The manager has stopped: last stats, complete the streams. */
  Stop = 9,
  /** a: a CallbackError for `callbackErrors$`. */
  Report = 10,
  /** a: a ServerEvent for `serverEvents$`. */
  ServerEvent = 11,
}
