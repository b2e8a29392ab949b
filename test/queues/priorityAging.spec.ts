import { describe, expect, it } from 'vitest';
import { PriorityAging } from '../../src/queues/priorityAging.js';

describe('PriorityAging', () => {
  const aging = new PriorityAging(10, 1000);

  it('should count grid steps from the epoch (floor, negative before it)', () => {
    expect([aging.step(1000), aging.step(1009), aging.step(1010), aging.step(1035), aging.step(995)]).toEqual([0, 0, 1, 3, -1]);
  });

  it('should rank by priority less the steps before queuing: an item that waited k steps ties one k levels higher', () => {
    expect(aging.rank(0, 1003)).toBe(aging.rank(2, 1021));
    expect(aging.rank(0, 1003)).toBeGreaterThan(aging.rank(2, 1031));
  });

  it('should give back the priority from the rank and the time queued', () => {
    for (const [priority, at] of [[0, 1000], [7, 1234], [-3, 5000], [2.5, 1019]] as const) {
      expect(aging.priorityOf(aging.rank(priority, at), at)).toBe(priority);
    }
  });
});
