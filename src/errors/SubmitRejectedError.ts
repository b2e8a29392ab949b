import type { SubmitRejected } from '../types.js';

/** `manager.run()` rejects with this when the task was not accepted (`submit` would return Left). */
export class SubmitRejectedError extends Error {
  override readonly name = 'SubmitRejectedError';
  readonly isSubmitRejectedError = true;
  constructor(readonly rejection: SubmitRejected) {
    super(`Task not accepted: ${describeRejection(rejection)}`);
  }
}

function describeRejection(rejection: SubmitRejected): string {
  switch (rejection._tag) {
    case 'DuplicateId':
      return `a live task already has id '${rejection.id}'`;
    case 'UnknownProvider':
      return `no provider named '${rejection.provider}'`;
    case 'ShuttingDown':
      return 'the manager is shutting down';
    case 'InvalidTask':
      return rejection.message;
    case 'Aborted':
      return 'its signal was already aborted';
    case 'QueueFull':
      return `the queue of '${rejection.provider}' holds its maxQueued (${rejection.maxQueued})`;
    case 'TooHeavy':
      return `weight ${rejection.weight} exceeds the limit of every server of '${rejection.provider}' (largest ${rejection.largestLimit})`;
  }
}
