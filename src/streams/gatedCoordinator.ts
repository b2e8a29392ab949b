import { Observable } from 'rxjs';
import type { SlotChange, SlotCoordinator } from '../slots/slotCoordinator.js';

/**
 * The coordinator as the manager's broker sees it: the same, except that each change it announces
 * (room on a budget, budgets regrouped) is handled as one transition of the manager, so the
 * attempts a change starts call their handlers only once it is whole. A change announced during a
 * transition (a release's `room`) simply nests in it.
 * @internal
 */
export function gatedCoordinator(coordinator: SlotCoordinator, gate: { enter(): void; exit(): void }): SlotCoordinator {
  const changes$ = new Observable<SlotChange>((subscriber) =>
    coordinator.changes$.subscribe({
      next: (change) => {
        gate.enter();
        try {
          subscriber.next(change);
        } finally {
          gate.exit();
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }),
  );
  const serverCost = coordinator.serverCost?.bind(coordinator);
  const forget = coordinator.forget?.bind(coordinator);
  return {
    ...(serverCost === undefined ? {} : { serverCost }),
    ...(forget === undefined ? {} : { forget }),
    changes$,
    countsWeights: coordinator.countsWeights === true,
    budgetOf: (serverKey) => coordinator.budgetOf(serverKey),
    budget: (budgetKey) => coordinator.budget(budgetKey),
    tryAcquire: (serverKey, weight) => coordinator.tryAcquire(serverKey, weight),
    release: (serverKey, weight) => coordinator.release(serverKey, weight),
    setLimit: (keyOrPrefix, limit) => coordinator.setLimit(keyOrPrefix, limit),
    removeLimit: (keyOrPrefix) => coordinator.removeLimit(keyOrPrefix),
    limits: () => coordinator.limits(),
    close: () => coordinator.close(),
  };
}
