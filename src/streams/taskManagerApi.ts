import type { Either } from 'fp-ts/lib/Either.js';
import type { Observable, ObservableInput } from 'rxjs';
import type {
  AttemptContext,
  CancelResult,
  ConfigRejected,
  Provider,
  ShutdownReport,
  StatsSnapshot,
  SubmitRejected,
  TaskEvent,
  TaskInput,
  TaskOutcome,
} from '../types.js';
import type { CallbackError } from '../errors/CallbackError.js';
import type { TaskHandle } from './taskHandle.js';
import type { ServerEvent } from '../slots/fleet/serverEvent.js';

export interface CommandOptions {
  readonly id?: string;
  /** Per attempt; default: the manager's timeout for callback name ''. */
  readonly timeoutMs?: number;
  /** @default 0: a command runs once */
  readonly maxRetries?: number;
}

export interface ShutdownOptions {
  /** `drain` runs the queues to empty; `cancel` cancels queued and waiting tasks at once. @default 'drain' */
  readonly mode?: 'drain' | 'cancel';
  /**
   * How long running attempts (and, in drain mode, the queues) may go on before everything left is
   * cancelled and running attempts are aborted. @default Infinity for drain, 10_000 for cancel
   */
  readonly graceMs?: number;
}

/** A task manager: see {@link createTaskManager}. */
export interface TaskManager {
  submit<P, R>(input: TaskInput<P>): Either<SubmitRejected, TaskHandle<R>>;
  /** Submits and resolves the outcome; rejects with SubmitRejectedError when not accepted. */
  run<P, R>(input: TaskInput<P>): Promise<TaskOutcome<R>>;
  command<R>(provider: string, fn: (ctx: AttemptContext) => ObservableInput<R> | R, options?: CommandOptions): Either<SubmitRejected, TaskHandle<R>>;
  cancel(id: string): CancelResult;
  setServerLimit(serverOrPrefix: string, limit: number): void;
  removeServerLimit(serverOrPrefix: string): void;
  updateProviderServers(provider: string, servers: readonly string[]): Either<ConfigRejected, void>;
  /** Adds a provider while running. */
  addProvider(provider: Provider): Either<ConfigRejected, void>;
  readonly events$: Observable<TaskEvent>;
  readonly stats$: Observable<StatsSnapshot>;
  /** Adaptive limits that moved, servers ejected and restored (see `adaptiveLimits`, `health`). Completes at shutdown. */
  readonly serverEvents$: Observable<ServerEvent>;
  /**
   * User code that threw (a subscriber, a listener, `isRetryable`, the timeout function, `random`,
   * the logger, a handler's teardown): reported here and to the logger; nothing else changes.
   */
  readonly callbackErrors$: Observable<CallbackError>;
  stats(): StatsSnapshot;
  shutdown(options?: ShutdownOptions): Promise<ShutdownReport>;
}
