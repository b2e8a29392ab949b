import type { SlotCoordinator } from '../../src/slots/slotCoordinator.js';

/** A coordinator that forwards every method to `inner`, with `extra` methods added or replaced. */
export function forwarding(inner: SlotCoordinator, extra: Partial<SlotCoordinator> = {}): SlotCoordinator {
  return {
    budgetOf: (k) => inner.budgetOf(k),
    budget: (k) => inner.budget(k),
    tryAcquire: (k, w) => inner.tryAcquire(k, w),
    release: (k, w) => inner.release(k, w),
    countsWeights: inner.countsWeights === true,
    setLimit: (k, l) => inner.setLimit(k, l),
    removeLimit: (k) => inner.removeLimit(k),
    limits: () => inner.limits(),
    changes$: inner.changes$,
    close: () => inner.close(),
    ...extra,
  };
}
