/* Manager */
export { createTaskManager } from './streams/taskManager.js';
export type { TaskManager, CommandOptions, ShutdownOptions } from './streams/taskManager.js';
export type { TaskManagerOptions } from './streams/options.js';
export type { TaskHandle } from './streams/taskHandle.js';

/* Providers and server budgets */
export { defineProvider } from './providers/defineProvider.js';
export { normalizeServerKey, coversKey } from './slots/serverKey.js';
export { localSlotCoordinator } from './slots/localSlotCoordinator.js';
export { rateLimitedCoordinator } from './slots/rateLimitedCoordinator.js';
export type { RateLimit, RateLimitedCoordinator, RateLimitedCoordinatorOptions } from './slots/rateLimitedCoordinator.js';
export type { LocalSlotCoordinatorOptions } from './slots/localSlotCoordinator.js';
export type { SlotCoordinator, SlotChange, BudgetState, ClusterStats, ClusterBudgetState } from './slots/slotCoordinator.js';

/* Adaptive limits, health, load-aware choice */
export type { FleetOptions } from './slots/fleet/fleetSettings.js';
export type { ServerEvent, ServerEventBase } from './slots/fleet/serverEvent.js';
export type { AdaptiveLimitOptions } from './slots/adaptive/adaptiveOptions.js';
export type { HealthOptions } from './slots/health/serverHealth.js';
export type { LimitAlgorithm, LimitReason, LimitSample } from './slots/adaptive/limitAlgorithm.js';
export { aimdLimit } from './slots/adaptive/aimdLimit.js';
export { gradientLimit } from './slots/adaptive/gradientLimit.js';

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
  CancelReason,
  ClearReport,
  FlowRejected,
  SetPriorityRejected,
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
  ObservedManager,
} from './types.js';

/* Errors */
export { TaskTimeoutError } from './errors/TaskTimeoutError.js';
export { SlotWaitTimeoutError } from './errors/SlotWaitTimeoutError.js';
export { NonRetryableError } from './errors/NonRetryableError.js';
export { TaskCancelledError } from './errors/TaskCancelledError.js';
export { SubmitRejectedError } from './errors/SubmitRejectedError.js';
export { CallbackError } from './errors/CallbackError.js';
export type { CallbackSource } from './errors/CallbackError.js';
export {
  isTaskTimeoutError,
  isSlotWaitTimeoutError,
  isNonRetryableError,
  isTaskCancelledError,
  isCallbackError,
} from './errors/guards.js';
