import { describe, expect, it } from 'vitest';
import { Timeline } from '../../src/internal/timeline.js';
import { FleetCoordinator } from '../../src/slots/fleet/fleetCoordinator.js';
import { resolveHealth } from '../../src/slots/health/serverHealth.js';
import { localSlotCoordinator } from '../../src/slots/localSlotCoordinator.js';
import { inVirtualTime } from '../helpers/virtual.js';

// A crawler's pools come and go: the fleet layer (latency, health, key memos) must keep nothing per
// server that left every pool, including one forgotten while an attempt still holds its slot.

function fleet(timeline: Timeline): { coordinator: FleetCoordinator; pools: string[][] } {
  const pools: string[][] = [];
  const settings = { adaptive: new Map(), health: resolveHealth({ failures: 1, ejectMs: 1_000, maxEjectedShare: 0.9 }), decayMs: 10_000, chargeRunning: true };
  const coordinator = new FleetCoordinator(localSlotCoordinator({ defaultLimit: 1 }), settings, { timeline, poolsOf: () => pools, emit: () => undefined });
  return { coordinator, pools };
}

describe('a fleet coordinator whose servers leave every pool', () => {
  it('should stay flat over a churn of servers that failed (health records and ejection timers go too)', async () => {
    await inVirtualTime(async (scheduler) => {
      const { coordinator, pools } = fleet(new Timeline(scheduler));
      pools.push(['https://a.example/', 'https://b.example/']);
      for (let round = 0; round < 100; round++) {
        const spelling = `HTTPS://Crawl-${round}.example`;
        const key = `https://crawl-${round}.example/`;
        pools.push([key]);
        expect(coordinator.tryAcquire(key)).toBe(true);
        coordinator.result(spelling, scheduler.now(), false); // ejected: a timer is booked
        coordinator.release(key);
        pools.pop();
        coordinator.forget(key);
      }
      expect(coordinator.tracked()).toEqual({ servers: 0, keys: 0, health: 0 });
      await coordinator.close();
    });
  });

  it('should keep counting a slot held when the server is forgotten, and drop the server at its release', async () => {
    await inVirtualTime(async (scheduler) => {
      const { coordinator } = fleet(new Timeline(scheduler));
      expect(coordinator.tryAcquire('https://s.example/')).toBe(true);
      coordinator.forget('https://s.example/');
      expect(coordinator.budget('https://s.example/')).toEqual({ limit: 1, inUse: 1 });
      expect(coordinator.tracked().servers).toBe(1);
      coordinator.result('https://s.example/', scheduler.now(), true);
      coordinator.release('https://s.example/');
      expect(coordinator.budget('https://s.example/')).toEqual({ limit: 1, inUse: 0 });
      expect(coordinator.tracked()).toEqual({ servers: 0, keys: 0, health: 0 });
      // A late result of the forgotten server leaves nothing behind either.
      coordinator.result('https://s.example/', scheduler.now(), false);
      expect(coordinator.tracked()).toEqual({ servers: 0, keys: 0, health: 0 });
      await coordinator.close();
    });
  });
});
