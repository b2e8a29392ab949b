/* Queueing and slots */
export { priorityBuffer } from './priorityBuffer.js';
export type { PriorityBufferConfig } from './priorityBuffer.js';
export { prioritySlots } from './prioritySlots.js';
export type { PrioritySlotsConfig } from './prioritySlots.js';
export { pullSlots } from './pullSlots.js';
export type { PullSlotsConfig } from './pullSlots.js';
export type { OverflowConfig, Overflowed } from './boundedQueue.js';
export { PullQueue } from '../queues/pullQueue.js';
export { LevelQueue, compareRanked } from '../queues/levelQueue.js';
export type { Ranked } from '../queues/levelQueue.js';
export type { BufferQueue, SlotQueue } from '../queues/slotQueue.js';
export type { Comparator } from '../queues/pullQueue.js';
export { serverSlots } from './serverSlots.js';
export type { ServerSlotsConfig } from './serverSlots.js';
export { SlotBroker } from '../slots/slotBroker.js';
export type { SlotBrokerOptions, SlotLease } from '../slots/slotBroker.js';

/* Resilience */
export { backoffDelay, resolveBackoff, defaultBackoff } from './backoff.js';
export { shouldRetry } from './retryPolicy.js';
export type { RetryOptions } from './retryPolicy.js';
export { retryWithBackoff } from './retryWithBackoff.js';
export type { RetryWithBackoffConfig, RetryInfo } from './retryWithBackoff.js';
export { requeueWithBackoff } from './requeueWithBackoff.js';
export type { AttemptResult, RequeueInfo, RequeueWithBackoffConfig } from './requeueWithBackoff.js';
export { attemptTimeout } from './attemptTimeout.js';
export type { AttemptTimeoutConfig } from './attemptTimeout.js';

/* Adaptive limits, health, load-aware choice: the pure pieces */
export { adaptLimit } from './adaptLimit.js';
export { AdaptiveLimit } from '../slots/adaptive/adaptiveLimit.js';
export type { AdaptiveBounds, LimitMove } from '../slots/adaptive/adaptiveLimit.js';
export type { AdaptiveLimitOptions } from '../slots/adaptive/adaptiveOptions.js';
export { aimdLimit } from '../slots/adaptive/aimdLimit.js';
export type { AimdOptions } from '../slots/adaptive/aimdLimit.js';
export { gradientLimit } from '../slots/adaptive/gradientLimit.js';
export type { GradientOptions } from '../slots/adaptive/gradientLimit.js';
export type { LimitAlgorithm, LimitReason, LimitSample, LimitStep, LimitView } from '../slots/adaptive/limitAlgorithm.js';
export { ServerHealth } from '../slots/health/serverHealth.js';
export type { HealthOptions, HealthState, HealthVerdict, ResolvedHealthOptions } from '../slots/health/serverHealth.js';
export { PeakEwma } from '../slots/choice/peakEwma.js';
