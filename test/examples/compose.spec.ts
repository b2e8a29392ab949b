import { describe, expect, it } from 'vitest';
import { runComposed } from '../../examples/compose.js';

// examples/compose.ts builds a provider's pipeline from the public operators; it must keep the
// manager's promises (README "Composing the operators").
describe('examples/compose.ts', () => {
  it('should keep a server within its limit while handlers ignore their aborted signal, and start commands, then priority, then FIFO', async () => {
    const report = await runComposed();
    expect(report.maxConcurrent).toBeLessThanOrEqual(report.limit);
    // slow-a and slow-b found free slots on arrival; the rest waited and left the queue best first.
    expect(report.startOrder).toEqual(['slow-a', 'slow-b', 'warm-cache', 'high', 'also-high', 'flaky', 'low', 'slow-c']);
    expect(report.outcomes.size).toBe(8);
    expect(report.outcomes.get('flaky')).toBe('flaky done'); // failed once, retried through the queue
    expect(report.outcomes.get('slow-c')).toMatch(/timed out after 20 ms/);
  });
});
