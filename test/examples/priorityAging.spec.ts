import { describe, expect, it } from 'vitest';
import { reportStart } from '../../examples/priorityAging.js';

// examples/priorityAging.ts (README "Priority aging") must do what the README says.
describe('examples/priorityAging.ts', () => {
  it('should start the report only after the stream without aging, and after (5 - 0) * agingMs with it', () => {
    expect(reportStart(undefined)).toBe(10_000);
    // Queued at 1 (step 0, rank 0); urgent-500 ranks 5 - 5 = 0 and came later: the report takes its slot.
    expect(reportStart(100)).toBe(500);
  });
});
