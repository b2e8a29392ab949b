/** The manager is shutting down or has shut down; carried by signals aborted at a forced shutdown. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
  readonly isShutdownError = true;
  constructor(message = 'The task manager is shutting down') {
    super(message);
  }
}
