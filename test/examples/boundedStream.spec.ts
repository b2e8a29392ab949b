import { describe, expect, it } from 'vitest';
import { runBounded } from '../../examples/boundedStream.js';

// examples/boundedStream.ts bounds prioritySlots with maxQueued (README "Bounded queues").
describe('examples/boundedStream.ts', () => {
  it('should keep at most maxQueued readings waiting, evicting the oldest of the lowest priority and never the alarm', async () => {
    const report = await runBounded();
    // The burst lands before a slot is granted: the alarm goes past the bound, 4 readings are kept.
    expect(report.ran).toEqual(['alarm', 'urgent-1', 'urgent-2', 'r5', 'r6']);
    expect(report.overflowed).toEqual(['Dropped r0', 'Dropped r1', 'Dropped r2', 'Dropped r3', 'Dropped r4', 'QueueFull trace']);
  });
});
