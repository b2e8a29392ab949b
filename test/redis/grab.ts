import type { RedisSlotCoordinator } from '../../src/redis/index.js';

/**
 * Takes a slot the way the slot broker does: tryAcquire now, and again on every `room` change of
 * the server's budget (synchronously, which is when an offered lease can be taken). Resolves with
 * the time it got the slot.
 */
export function grab(coordinator: RedisSlotCoordinator, serverKey: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      subscription.unsubscribe();
      clearTimeout(timer);
      resolve(Date.now());
    };
    const subscription = coordinator.changes$.subscribe((change) => {
      if (done) return;
      const relevant = change.type === 'budgets' || change.budget === coordinator.budgetOf(serverKey);
      if (relevant && coordinator.tryAcquire(serverKey)) finish();
    });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      subscription.unsubscribe();
      reject(new Error(`no slot on ${serverKey} for ${coordinator.instanceName} within ${timeoutMs} ms`));
    }, timeoutMs);
    if (coordinator.tryAcquire(serverKey)) finish();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 10 ms until it holds; `what` may say, when it failed, what was seen instead. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what: string | (() => string) = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${typeof what === 'string' ? what : what()} did not hold within ${timeoutMs} ms`);
    await sleep(10);
  }
}
