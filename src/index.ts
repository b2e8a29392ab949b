/* Manager */
export { createTaskManager } from './streams/taskManager.js';
export type { TaskManager, CommandOptions, ShutdownOptions } from './streams/taskManager.js';
export type { TaskManagerOptions } from './streams/options.js';
export type { TaskHandle } from './streams/taskHandle.js';

/* Providers and server budgets */
export { defineProvider } from './providers/defineProvider.js';
export { normalizeServerKey, coversKey } from './slots/serverKey.js';
export { localSlotCoordinator } from './slots/localSlotCoordinator.js';
export type { LocalSlotCoordinatorOptions } from './slots/localSlotCoordinator.js';
export type { SlotCoordinator, SlotChange, BudgetState } from './slots/slotCoordinator.js';

/* Types */
export type {
  Provider,
  HandlerResult,
  ProviderTypes,
  ProviderMap,
  ProviderMapOf,
  ProviderName,
  WithProvider,
  AttemptContext,
  Task,
  TaskInput,
  TaskOutcome,
  SubmitRejected,
  CancelResult,
  ConfigRejected,
  ShutdownReport,
  BackoffOptions,
  Logger,
  TaskEvent,
  TaskEventType,
  TaskEventBase,
  ProviderStats,
  BudgetStats,
  StatsSnapshot,
} from './types.js';

/* Errors */
export { TaskTimeoutError } from './errors/TaskTimeoutError.js';
export { SlotWaitTimeoutError } from './errors/SlotWaitTimeoutError.js';
export { NonRetryableError } from './errors/NonRetryableError.js';
export { TaskCancelledError } from './errors/TaskCancelledError.js';
export { ShutdownError } from './errors/ShutdownError.js';
export { SubmitRejectedError } from './errors/SubmitRejectedError.js';
export { CallbackError } from './errors/CallbackError.js';
export type { CallbackSource } from './errors/CallbackError.js';
export {
  isTaskTimeoutError,
  isSlotWaitTimeoutError,
  isNonRetryableError,
  isTaskCancelledError,
  isShutdownError,
  isCallbackError,
} from './errors/guards.js';
