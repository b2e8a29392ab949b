/** Thrown (or returned as an error) by a handler to stop retries at once; the task fails with `cause`. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
  readonly isNonRetryableError = true;
  constructor(override readonly cause: unknown, message?: string) {
    super(message ?? (cause instanceof Error ? cause.message : String(cause)));
  }
}
