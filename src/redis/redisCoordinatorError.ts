/**
 * What went wrong between the coordinator and Redis:
 * - `connection`: Redis cannot be reached; nothing is granted until it returns (then it recovers
 *   by itself).
 * - `command`: one script or command failed; the affected slot request is retried.
 * - `lease-lost`: leases of work still running here had lapsed (Redis was unreachable for longer
 *   than `leaseMs`, or lost its data); they were added back, but others may have been granted
 *   those slots meanwhile.
 * - `instance-name`: another live process holds this instance name.
 */
export type RedisCoordinatorErrorKind = 'connection' | 'command' | 'lease-lost' | 'instance-name';

export class RedisCoordinatorError extends Error {
  override readonly name = 'RedisCoordinatorError';

  constructor(
    readonly kind: RedisCoordinatorErrorKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRedisCoordinatorError(error: unknown): error is RedisCoordinatorError {
  return error instanceof RedisCoordinatorError;
}
