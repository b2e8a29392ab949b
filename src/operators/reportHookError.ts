import { config as rxjsConfig } from 'rxjs';

/**
 * Reports the exception of a user callback that must not change what the operator does (a hook
 * for logging): to rxjs's `config.onUnhandledError` when one is set, otherwise it is dropped.
 * @internal
 */
export function reportHookError(hookError: unknown): void {
  try {
    rxjsConfig.onUnhandledError?.(hookError);
  } catch {
    // The reporter itself failed; there is nowhere left to send it.
  }
}
