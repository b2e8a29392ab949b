import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, localSlotCoordinator, type CallbackError, type ClusterStats, type SlotCoordinator } from '../../src/index.js';

const provider = defineProvider({ name: 'p', servers: ['https://a.example.com'], handle: () => 'ok' });

/** An in-process coordinator that also offers a cluster view the test drives by hand. */
function withClusterView(): { coordinator: SlotCoordinator; view: Subject<ClusterStats> } {
  const view = new Subject<ClusterStats>();
  const coordinator: SlotCoordinator = Object.assign(localSlotCoordinator({ defaultLimit: 2 }), { clusterStats$: view.asObservable() });
  return { coordinator, view };
}

const reading = (inUse: number): ClusterStats => ({ 'https://a.example.com/': { limit: 2, inUse, waiters: 1 } });

describe('manager.clusterStats$', () => {
  it('should complete at once without a value when the coordinator has no cluster view', async () => {
    const manager = createTaskManager({ providers: [provider] });
    const seen: ClusterStats[] = [];
    let completed = false;
    manager.clusterStats$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    expect(seen).toEqual([]);
    expect(completed).toBe(true);
    await manager.shutdown();
  });

  it("should pass on the coordinator's readings, while stats() stays per process, and complete at shutdown", async () => {
    const { coordinator, view } = withClusterView();
    const manager = createTaskManager({ providers: [provider], coordinator });
    const seen: ClusterStats[] = [];
    let completed = false;
    manager.clusterStats$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    view.next(reading(2));
    expect(seen).toEqual([reading(2)]);
    expect(manager.stats().servers['https://a.example.com/']).toEqual({ limit: 2, inUse: 0, waiters: 0 });
    await manager.shutdown();
    expect(completed).toBe(true);
    expect(view.observed).toBe(false); // the coordinator's poll is no longer held
    view.next(reading(1));
    expect(seen).toHaveLength(1);
  });

  it('should keep the view when rateLimits wraps the coordinator', async () => {
    const { coordinator, view } = withClusterView();
    const manager = createTaskManager({ providers: [provider], coordinator, rateLimits: { 'https://a.example.com': { starts: 10, intervalMs: 1_000 } } });
    const seen: ClusterStats[] = [];
    manager.clusterStats$.subscribe((s) => seen.push(s));
    view.next(reading(1));
    expect(seen).toEqual([reading(1)]);
    await manager.shutdown();
  });

  it('should report a subscriber that throws on callbackErrors$ and keep it subscribed', async () => {
    const { coordinator, view } = withClusterView();
    const manager = createTaskManager({ providers: [provider], coordinator, logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } });
    const errors: CallbackError[] = [];
    manager.callbackErrors$.subscribe((e) => errors.push(e));
    let calls = 0;
    manager.clusterStats$.subscribe(() => {
      calls++;
      throw new Error('subscriber bug');
    });
    view.next(reading(1));
    view.next(reading(2));
    expect(calls).toBe(2);
    expect(errors.map((e) => e.source)).toEqual(['clusterStats$ subscriber', 'clusterStats$ subscriber']);
    await manager.shutdown();
  });
});
