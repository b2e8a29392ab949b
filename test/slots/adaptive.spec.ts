import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { adaptLimit } from '../../src/operators/adaptLimit.js';
import { AdaptiveLimit } from '../../src/slots/adaptive/adaptiveLimit.js';
import { aimdLimit } from '../../src/slots/adaptive/aimdLimit.js';
import { gradientLimit } from '../../src/slots/adaptive/gradientLimit.js';
import type { LimitSample } from '../../src/slots/adaptive/limitAlgorithm.js';

const ok = (at: number, rttMs: number, inFlight: number): LimitSample => ({ at, rttMs, inFlight, ok: true });
const failed = (at: number, rttMs: number, inFlight: number): LimitSample => ({ at, rttMs, inFlight, ok: false });

/** A server of capacity `capacity` and no-load latency 100 ms, run at `limit` attempts at once. */
const latencyAt = (limit: number, capacity: number): number => 100 * Math.max(1, limit / capacity);

/** Runs a budget against that server for `steps` samples; returns the limits it went through. */
function converge(limit: AdaptiveLimit, capacity: number, steps: number): number[] {
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) {
    const inFlight = limit.limit;
    const rtt = latencyAt(inFlight, capacity);
    limit.observe(inFlight > 2 * capacity ? failed(i * 10, rtt / 2, inFlight) : ok(i * 10, rtt, inFlight));
    seen.push(limit.limit);
  }
  return seen;
}

describe('adaptLimit', () => {
  let rx: TestScheduler;
  beforeEach(() => {
    rx = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should raise an AIMD limit by about one per limit of good samples and cut it by 10 % on an error', () => {
    rx.run(({ cold, expectObservable }) => {
      const samples = { a: ok(0, 100, 4), e: failed(60, 50, 5) };
      const moves = { u: { from: 4, to: 5, reason: 'probe' }, d: { from: 5, to: 4, reason: 'errors' } };
      expectObservable(cold('a-a-a-e|', samples).pipe(adaptLimit({ min: 1, max: 8, initial: 4, algorithm: 'aimd' }))).toBe('----u-d|', moves);
    });
  });

  it('should not grow a limit the budget does not use (no evidence of room)', () => {
    rx.run(({ cold, expectObservable }) => {
      const idle = { a: ok(0, 100, 1) };
      expectObservable(cold('a-a-a-a-a-a|', idle).pipe(adaptLimit({ max: 32, initial: 8, algorithm: 'aimd' }))).toBe('-----------|');
      expectObservable(cold('a-a-a-a-a-a|', idle).pipe(adaptLimit({ max: 32, initial: 8 }))).toBe('-----------|');
    });
  });

  it('should lower a gradient limit when latency rises above the baseline, with the reason', () => {
    rx.run(({ cold, expectObservable }) => {
      const samples = { a: ok(0, 100, 8), s: ok(10, 400, 8) };
      const moves = { d: { from: 8, to: 7, reason: 'latency' } };
      // 100 ms sets the baseline (8 → 8.04); 400 ms twice pulls the smoothed latency to 160 then
      // 208 ms: gradients 1.1 × 100 / 160 = 0.69 and 0.53 take 8.04 to 7.58, then 6.91.
      expectObservable(cold('a-s-s|', samples).pipe(adaptLimit({ max: 32, initial: 8 }))).toBe('----d|', moves);
    });
  });

  it('should pass errors and completion through, and keep one limit per subscription', () => {
    rx.run(({ cold, expectObservable }) => {
      const samples = { a: ok(0, 100, 4) };
      const operator = adaptLimit({ max: 8, initial: 4, algorithm: 'aimd' });
      const moves = { u: { from: 4, to: 5, reason: 'probe' } };
      expectObservable(cold('a-a-a-#', samples).pipe(operator)).toBe('----u-#', moves);
      expectObservable(cold('a-a-a|', samples).pipe(operator)).toBe('----u|', moves);
    });
  });

  it('should reject bad bounds when created, naming the field', () => {
    expect(() => adaptLimit({ max: 0 })).toThrow(/`options\.max`/);
    expect(() => adaptLimit({ min: 4, max: 2 })).toThrow(/`options\.max`/);
    expect(() => adaptLimit({ max: 8, initial: 9 })).toThrow(/`options\.initial`/);
    expect(() => adaptLimit({ max: 8, algorithm: 'vegas' as never })).toThrow(/`options\.algorithm`/);
  });
});

describe('AdaptiveLimit', () => {
  it('should never leave [min, max], whatever the samples', () => {
    const sample = fc.record({ rttMs: fc.double({ min: 0, max: 1e6, noNaN: true }), inFlight: fc.nat(100), ok: fc.boolean() });
    fc.assert(
      fc.property(fc.constantFrom('aimd', 'gradient'), fc.array(sample, { maxLength: 200 }), (name, samples) => {
        const limit = new AdaptiveLimit(name === 'aimd' ? aimdLimit() : gradientLimit(), { min: 2, max: 9, initial: 5 });
        samples.forEach((s, i) => {
          const move = limit.observe({ ...s, at: i });
          if (move !== undefined) expect(move.to).toBe(limit.limit);
          expect(limit.limit).toBeGreaterThanOrEqual(2);
          expect(limit.limit).toBeLessThanOrEqual(9);
        });
      }),
    );
  });

  it('should keep the baseline from successes only (fast failures do not fake a fast server)', () => {
    const limit = new AdaptiveLimit(gradientLimit(), { min: 1, max: 10, initial: 4 });
    limit.observe(ok(0, 100, 4));
    limit.observe(failed(1, 5, 4));
    expect(limit.baselineMs).toBe(100);
  });

  it.each([2, 5, 16])('should settle the gradient limit just above a capacity of %i', (capacity) => {
    const limits = converge(new AdaptiveLimit(gradientLimit(), { min: 1, max: 64, initial: 1 }), capacity, 2_000);
    const settled = limits.slice(-200);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(capacity);
    expect(Math.max(...settled)).toBeLessThanOrEqual(capacity + 2);
  });

  it.each([2, 5, 16])('should keep the AIMD limit between the capacity and the latency tolerance at a capacity of %i', (capacity) => {
    const limits = converge(new AdaptiveLimit(aimdLimit(), { min: 1, max: 64, initial: 1 }), capacity, 4_000);
    const settled = limits.slice(-400);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(Math.floor(capacity * 0.9));
    expect(Math.max(...settled)).toBeLessThanOrEqual(Math.ceil(capacity * 1.5) + 1);
  });
});
