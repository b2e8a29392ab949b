/* Redis slot coordination: per-server budgets shared by many processes (`smt-rx/redis`). */
export { redisSlotCoordinator } from './redisSlotCoordinator.js';
export type { RedisSlotCoordinator, ClusterBudgetState, ClusterStats } from './redisSlotCoordinatorApi.js';
export type { RedisSlotCoordinatorOptions } from './options.js';
export type { RedisClient } from './client.js';
export { RedisCoordinatorError, isRedisCoordinatorError } from './redisCoordinatorError.js';
export type { RedisCoordinatorErrorKind } from './redisCoordinatorError.js';
