import { describe, expect, it } from 'vitest';
import { runTaskWeight } from '../../examples/taskWeight.js';

// examples/taskWeight.ts (README "Task weight") runs in real time (a few tens of ms) and must do what the README says.
describe('examples/taskWeight.ts', () => {
  it('should start the heavy task before the light one that arrived after it, with both slots, and refuse a weight above every limit', async () => {
    const report = await runTaskWeight();
    expect(report.refused).toEqual(['huge: TooHeavy']);
    expect(report.startOrder).toEqual(['l1', 'big', 'l2']);
    // l1 alone (1), then big alone with both slots (2), then l2 alone (1).
    expect(report.inUseAtStart).toEqual([1, 2, 1]);
  });
});
