import { describe, expect, it } from 'vitest';
import { PeakEwma } from '../../src/slots/choice/peakEwma.js';
import { resolveHealth, ServerHealth } from '../../src/slots/health/serverHealth.js';

const health = (): ServerHealth => new ServerHealth(resolveHealth({ failures: 3, ejectMs: 1_000, maxEjectMs: 3_000 }));

describe('ServerHealth', () => {
  it('should ask for ejection at the configured number of failures in a row, and a success resets the count', () => {
    const h = health();
    expect(h.result(false, 0)).toBeUndefined();
    expect(h.result(false, 0)).toBeUndefined();
    expect(h.result(true, 0)).toBeUndefined();
    expect(h.result(false, 0)).toBeUndefined();
    expect(h.result(false, 0)).toBeUndefined();
    expect(h.result(false, 0)).toEqual({ type: 'eject', reason: 'failures', failures: 3, ejectMs: 1_000 });
  });

  it('should not let a success of an attempt started before the latest failure reset the count', () => {
    const h = health();
    expect(h.result(false, 100)).toBeUndefined();
    expect(h.result(true, 50)).toBeUndefined();
    expect(h.result(false, 110)).toBeUndefined();
    expect(h.result(false, 120)?.type).toBe('eject');
    const fresh = health();
    fresh.result(false, 100);
    fresh.result(true, 100);
    expect(fresh.state).toEqual({ tag: 'healthy', failures: 0 });
  });

  it('should take no work while ejected, then exactly one probe once reopened', () => {
    const h = health();
    expect(h.eject(100, 1_000)).toBe(1_100);
    expect(h.canStart).toBe(false);
    h.reopen();
    expect(h.canStart).toBe(true);
    h.started(1_100);
    expect(h.canStart).toBe(false);
  });

  it('should ignore results of attempts started before the probe', () => {
    const h = health();
    h.eject(100, 1_000);
    h.reopen();
    h.started(1_100);
    expect(h.result(true, 90)).toBeUndefined();
    expect(h.result(false, 99)).toBeUndefined();
    expect(h.state.tag).toBe('half-open');
  });

  it('should restore the server when the probe succeeds', () => {
    const h = health();
    h.eject(0, 1_000);
    h.reopen();
    h.started(1_000);
    expect(h.result(true, 1_000)).toEqual({ type: 'restore', reason: 'probe-succeeded' });
    expect(h.state.tag).toBe('healthy');
  });

  it('should eject again for twice as long (up to the maximum) when the probe fails', () => {
    const h = health();
    let ejectMs = 1_000;
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.eject(0, ejectMs);
      h.reopen();
      h.started(10);
      const verdict = h.result(false, 10);
      expect(verdict?.type).toBe('eject');
      ejectMs = (verdict as { ejectMs: number }).ejectMs;
      lengths.push(ejectMs);
    }
    expect(lengths).toEqual([2_000, 3_000, 3_000, 3_000]);
  });

  it('should allow another probe when the probe ended without a verdict', () => {
    const h = health();
    h.eject(0, 1_000);
    h.reopen();
    h.started(1_000);
    h.probeLost(999);
    expect(h.canStart).toBe(false);
    h.probeLost(1_000);
    expect(h.canStart).toBe(true);
  });
});

describe('PeakEwma', () => {
  it('should take a peak at once and decay towards lower latencies with time', () => {
    const e = new PeakEwma(1_000);
    e.observe(100, 0);
    e.observe(300, 10);
    expect(e.latencyMs).toBe(300);
    e.observe(100, 1_010);
    expect(e.latencyMs).toBeCloseTo(300 / Math.E + 100 * (1 - 1 / Math.E), 6);
    e.observe(100, 1_010);
    expect(e.latencyMs).toBeCloseTo(300 / Math.E + 100 * (1 - 1 / Math.E), 6);
  });

  it('should cost latency × (running + 1), and nothing before the first sample', () => {
    const e = new PeakEwma(1_000);
    expect(e.cost(5)).toBe(0);
    e.observe(200, 0);
    expect(e.cost(0)).toBe(200);
    expect(e.cost(2)).toBe(600);
  });
});
