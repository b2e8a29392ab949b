import { describe, expect, it } from 'vitest';
import { runSoak } from './soak.js';

// The CI size of the chaos soak (`npm run soak` runs the same code with 1,000,000 tasks).
describe('chaos soak (50,000 tasks, virtual time)', () => {
  it('should account for every task exactly, never exceed a limit, and end with the heap within 10% of its start', async () => {
    const result = await runSoak({ tasks: 50_000 });
    expect(result.violations).toEqual([]);
    expect(result.succeeded + result.failed + result.cancelled).toBe(50_000);
    expect({ succeeded: result.succeeded, failed: result.failed, cancelled: result.cancelled }).toEqual(result.expected);
    expect(result.report).toMatchObject({ succeeded: result.succeeded, failed: result.failed, cancelled: result.cancelled, unfinished: [] });
    // The chaos really happened: failures, hangs, cancels and limit changes in the planned shares.
    expect(result.designed.fail).toBeGreaterThan(50_000 * 0.04);
    expect(result.designed.hang + result.designed.ignore).toBeGreaterThan(50_000 * 0.007);
    expect(result.cancelled).toBeGreaterThan(50_000 * 0.008); // most of the 1% cancel calls catch their task live
    expect(result.limitChanges).toBeGreaterThan(30);
    expect(result.heapGrowth).toBeLessThanOrEqual(0.1);
  }, 60_000);
});
