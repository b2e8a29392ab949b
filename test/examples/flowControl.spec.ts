import { describe, expect, it } from 'vitest';
import { runFlowControl } from '../../examples/flowControl.js';

// examples/flowControl.ts (README "Flow control") runs in real time (a few tens of ms) and must do what the README says.
describe('examples/flowControl.ts', () => {
  it('should refuse the overflow, cancel the aborted batch, run the moved task first and the delayed one when due', async () => {
    const report = await runFlowControl();
    expect(report.refused).toEqual(['overflow: QueueFull']);
    expect(report.startOrder).toEqual(['urgent-later', 'first', 'low', 'delayed']);
    expect(Object.fromEntries(report.outcomes)).toEqual({
      'batch-1': 'cancelled (abort)',
      'batch-2': 'cancelled (abort)',
      'urgent-later': 'Succeeded',
      first: 'Succeeded',
      low: 'Succeeded',
      delayed: 'Succeeded',
    });
    // The first call of an attempt goes out at once; later ones are coalesced (how many depends on real time).
    expect(report.progress[0]).toEqual({ step: 1, of: 3 });
  });
});
