import { lastValueFrom, NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { createTaskManager, localSlotCoordinator } from '../../src/index.js';
import { attemptTimeout } from '../../src/operators/index.js';
import { inVirtualTime } from '../helpers/virtual.js';
import { Emitted } from './emitted.js';

describe('small API truths', () => {
  it('should read a budget key as the user writes it (budgetOf, budget)', () => {
    const c = localSlotCoordinator({ limits: { 'https://gpu.example.com': 3 } });
    expect(c.budget('https://gpu.example.com')).toEqual({ limit: 3, inUse: 0 });
    expect(c.budget('HTTPS://gpu.example.com/')).toEqual({ limit: 3, inUse: 0 });
    expect(c.budgetOf('https://gpu.example.com')).toBe('https://gpu.example.com/');
    expect(c.budgetOf('https://bot:x@gpu.example.com:8443/v1?q=1')).toBe('https://gpu.example.com/');
    expect(c.tryAcquire('https://gpu.example.com/')).toBe(true);
    expect(c.budget('https://gpu.example.com')).toEqual({ limit: 3, inUse: 1 });
    // A server with no limit: its own key, spelled any way.
    expect(c.budget('https://other.example.com')).toEqual({ limit: 1, inUse: 0 });
  });

  it('should warn once through the logger about a limit key that covers no pool server', () => {
    inVirtualTime((scheduler) => {
      const out = new Emitted();
      const m = createTaskManager({
        scheduler,
        logger: out.logger,
        serverLimits: { 'https://gpu.exmple.com': 2, 'https://gpu.example.com': 2 },
        providers: [{ name: 'p', servers: ['https://gpu.example.com:8443/v1'], handle: () => 1 }],
      });
      m.setServerLimit('https://gpu.exmple.com', 3);
      m.setServerLimit('https://gpu.example.com/v1', 3);
      m.setServerLimit('https://cpu.example.com/', 3);
      const warnings = out.lines.filter((line) => line.includes('covers no server'));
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toContain('https://gpu.exmple.com/');
      expect(warnings[1]).toContain('https://cpu.example.com/');
    });
  });

  it('should word attemptTimeout\'s error without a task or server when used alone', async () => {
    await inVirtualTime(async (scheduler, flush) => {
      const result = lastValueFrom(NEVER.pipe(attemptTimeout({ timeoutMs: 20, graceMs: 0, scheduler })));
      flush();
      await expect(result).rejects.toThrow(/^Attempt timed out after 20 ms$/);
    });
  });

  it('should not offer a ShutdownError that nothing throws', () => {
    expect('ShutdownError' in api).toBe(false);
    expect('isShutdownError' in api).toBe(false);
  });
});
