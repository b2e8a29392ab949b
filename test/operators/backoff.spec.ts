import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors/invalidOption.js';
import { backoffDelay, defaultBackoff, resolveBackoff } from '../../src/operators/backoff.js';
import type { BackoffOptions } from '../../src/types.js';

type Jitter = Required<BackoffOptions>['jitter'];
const jitters: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

/** A random source that replays `values` in a loop. */
function replay(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** mulberry32: a tiny seeded generator, so "random" runs are the same on every machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The delays of retries 1..count, feeding each delay back as the previous one. */
function delays(count: number, options: Required<BackoffOptions>, random: () => number): number[] {
  const out: number[] = [];
  let previous: number | undefined;
  for (let retry = 1; retry <= count; retry++) {
    previous = backoffDelay(retry, previous, options, random);
    out.push(previous);
  }
  return out;
}

/** The pre-jitter delay of retry n, as the API states it. */
const exponential = (n: number, o: Required<BackoffOptions>): number =>
  Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** (n - 1));

const small = (jitter: Jitter): Required<BackoffOptions> =>
  resolveBackoff({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter });

describe('defaultBackoff', () => {
  it('should be 100 ms doubling to 30 s with full jitter', () => {
    expect(defaultBackoff).toEqual({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 30_000, jitter: 'full' });
  });

  it('should be frozen so that no caller can change everyone\'s default', () => {
    expect(Object.isFrozen(defaultBackoff)).toBe(true);
  });
});

describe('resolveBackoff', () => {
  it('should return the defaults when no options are given', () => {
    expect(resolveBackoff()).toEqual(defaultBackoff);
    expect(resolveBackoff({})).toEqual(defaultBackoff);
  });

  it('should merge the given fields over the defaults', () => {
    expect(resolveBackoff({ initialDelayMs: 250, jitter: 'none' })).toEqual({
      initialDelayMs: 250,
      multiplier: 2,
      maxDelayMs: 30_000,
      jitter: 'none',
    });
  });

  it('should accept the edges of every range', () => {
    expect(resolveBackoff({ initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: 'decorrelated' })).toEqual({
      initialDelayMs: 0,
      multiplier: 1,
      maxDelayMs: 0,
      jitter: 'decorrelated',
    });
    expect(resolveBackoff({ initialDelayMs: 500, maxDelayMs: 500 }).maxDelayMs).toBe(500);
  });

  it('should return a frozen object', () => {
    expect(Object.isFrozen(resolveBackoff({ multiplier: 3 }))).toBe(true);
  });

  const invalid: ReadonlyArray<[string, unknown, string]> = [
    ['a number instead of an object', 5, 'backoff'],
    ['null', null, 'backoff'],
    ['an array', [], 'backoff'],
    ['a negative initialDelayMs', { initialDelayMs: -1 }, 'backoff.initialDelayMs'],
    ['a NaN initialDelayMs', { initialDelayMs: NaN }, 'backoff.initialDelayMs'],
    ['an infinite initialDelayMs', { initialDelayMs: Infinity }, 'backoff.initialDelayMs'],
    ['a string initialDelayMs', { initialDelayMs: '100' }, 'backoff.initialDelayMs'],
    ['a multiplier below 1', { multiplier: 0.5 }, 'backoff.multiplier'],
    ['a NaN multiplier', { multiplier: NaN }, 'backoff.multiplier'],
    ['an infinite multiplier', { multiplier: Infinity }, 'backoff.multiplier'],
    ['a negative maxDelayMs', { maxDelayMs: -5 }, 'backoff.maxDelayMs'],
    ['an infinite maxDelayMs', { maxDelayMs: Infinity }, 'backoff.maxDelayMs'],
    ['a maxDelayMs below initialDelayMs', { initialDelayMs: 200, maxDelayMs: 100 }, 'backoff.maxDelayMs'],
    ['an initialDelayMs above the default cap', { initialDelayMs: 60_000 }, 'backoff.maxDelayMs'],
    ['an unknown jitter', { jitter: 'half' }, 'backoff.jitter'],
    ['a non-string jitter', { jitter: 1 }, 'backoff.jitter'],
  ];

  it.each(invalid)('should refuse %s, naming the field', (_label, options, field) => {
    let thrown: unknown;
    try {
      resolveBackoff(options as BackoffOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).field).toBe(field);
    expect((thrown as Error).message).toContain(`Expected \`${field}\` to be`);
  });

  it('should name fields after the given prefix', () => {
    expect(() => resolveBackoff({ multiplier: 0 }, 'retry.backoff')).toThrow(
      'Expected `retry.backoff.multiplier` to be a finite number from 1 and up, got `0` (number)',
    );
  });

  it('should say which initialDelayMs the cap must reach', () => {
    expect(() => resolveBackoff({ initialDelayMs: 200, maxDelayMs: 100 })).toThrow(
      'Expected `backoff.maxDelayMs` to be a finite number from `backoff.initialDelayMs` (200) and up, got `100` (number)',
    );
  });
});

describe('backoffDelay', () => {
  describe('exact sequences with a replayed random source', () => {
    // initialDelayMs 100, multiplier 2, maxDelayMs 1000: pre-jitter 100, 200, 400, 800, 1000, 1000.
    const random = [0.5, 0.25, 0.75, 0, 0.999, 0.1];
    const table: ReadonlyArray<[Jitter, number[]]> = [
      ['none', [100, 200, 400, 800, 1_000, 1_000]],
      // r × that: 50, 50, 300, 0, 999, 100
      ['full', [50, 50, 300, 0, 999, 100]],
      // that/2 + r × that/2: 75, 125, 350, 400, 999.5 → 1000, 550
      ['equal', [75, 125, 350, 400, 1_000, 550]],
      // 100 + r × (min(1000, 3 × previous) − 100), previous starting at 100:
      // 100+.5×200, 100+.25×500, 100+.75×575=531.25, 100+0×900, 100+.999×200=299.8, 100+.1×800
      ['decorrelated', [200, 225, 531, 100, 300, 180]],
    ];

    it.each(table)('should give the exact delays for jitter %s', (jitter, expected) => {
      expect(delays(6, small(jitter), replay(...random))).toEqual(expected);
    });
  });

  it.each(jitters)('should return the same sequence for the same seed with jitter %s', (jitter) => {
    expect(delays(50, defaultBackoffWith(jitter), seeded(42))).toEqual(delays(50, defaultBackoffWith(jitter), seeded(42)));
  });

  it('should grow by the multiplier up to the cap without jitter', () => {
    const options = resolveBackoff({ initialDelayMs: 1, multiplier: 3, maxDelayMs: 100, jitter: 'none' });
    expect(delays(7, options, Math.random)).toEqual([1, 3, 9, 27, 81, 100, 100]);
  });

  it('should wait initialDelayMs every time when the multiplier is 1', () => {
    const options = resolveBackoff({ initialDelayMs: 70, multiplier: 1, jitter: 'none' });
    expect(delays(5, options, Math.random)).toEqual([70, 70, 70, 70, 70]);
    expect(backoffDelay(100_000, undefined, options, Math.random)).toBe(70);
    // 1 ** Infinity is NaN in JavaScript: the guard must catch it before it becomes a delay.
    expect(backoffDelay(Infinity, undefined, options, Math.random)).toBe(70);
  });

  it('should stay at the cap at and past the retry where the Go original overflowed', () => {
    const options = resolveBackoff({ jitter: 'none' });
    for (const retry of [41, 63, 64, 65, 1_024, 1_075, 100_000, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(backoffDelay(retry, undefined, options, Math.random)).toBe(30_000);
    }
  });

  it('should treat a retry below 1 or NaN as retry 1 and round a fractional retry', () => {
    const options = small('none');
    expect(backoffDelay(0, undefined, options, Math.random)).toBe(100);
    expect(backoffDelay(-7, undefined, options, Math.random)).toBe(100);
    expect(backoffDelay(-Infinity, undefined, options, Math.random)).toBe(100);
    expect(backoffDelay(NaN, undefined, options, Math.random)).toBe(100);
    expect(backoffDelay(2.4, undefined, options, Math.random)).toBe(200);
  });

  describe.each(jitters)('bounds for retries 1..100,000 with jitter %s', (jitter) => {
    const options = defaultBackoffWith(jitter);
    const cases: ReadonlyArray<[string, () => number]> = [
      ['a seeded source', seeded(7)],
      ['a source stuck at 0', () => 0],
      ['a source stuck just below 1', () => 1 - Number.EPSILON / 2],
    ];

    it.each(cases)('should stay an integer in its range with %s', (_label, random) => {
      let previous: number | undefined;
      for (let retry = 1; retry <= 100_000; retry++) {
        const delay = backoffDelay(retry, previous, options, random);
        const [low, high] = range(jitter, retry, previous, options);
        if (!(Number.isInteger(delay) && delay >= low && delay <= high && delay <= options.maxDelayMs)) {
          expect.fail(`retry ${retry}: ${delay} is not an integer in [${low}, ${high}]`);
        }
        previous = delay;
      }
    });
  });

  it('should never give NaN, a negative, Infinity or more than the cap for any valid options', () => {
    const optionsArb = fc
      .record({
        initialDelayMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true })),
        multiplier: fc.oneof(
          fc.constant(1),
          fc.double({ min: 1, max: 1.001, noNaN: true }),
          fc.double({ min: 1, max: Number.MAX_VALUE, noNaN: true }),
        ),
        extra: fc.double({ min: 0, max: 1e12, noNaN: true }),
        jitter: fc.constantFrom(...jitters),
      })
      .map(({ initialDelayMs, multiplier, extra, jitter }) =>
        resolveBackoff({ initialDelayMs, multiplier, maxDelayMs: initialDelayMs + extra, jitter }),
      );
    const randomArb = fc.oneof(
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.constantFrom(NaN, -1, 1, 2, Infinity, -Infinity),
    );
    const previousArb = fc.option(fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity)), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        optionsArb,
        fc.integer({ min: 1, max: 100_000 }),
        previousArb,
        randomArb,
        (options, retry, previous, r) => {
          const delay = backoffDelay(retry, previous, options, () => r);
          return Number.isInteger(delay) && delay >= 0 && delay <= options.maxDelayMs;
        },
      ),
      { numRuns: 5_000, seed: 20_240_601 },
    );
  });

  describe('a random source that misbehaves', () => {
    // Full jitter over [0, 1000]: the delay shows the value the random source was clamped to.
    const options = resolveBackoff({ initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 30_000, jitter: 'full' });
    const table: ReadonlyArray<[string, () => number, number]> = [
      ['NaN as the middle of the range', () => NaN, 500],
      ['a negative number as 0', () => -0.3, 0],
      ['-Infinity as 0', () => -Infinity, 0],
      ['exactly 1 as just below 1', () => 1, 1_000],
      ['a number above 1 as just below 1', () => 7.5, 1_000],
      ['Infinity as just below 1', () => Infinity, 1_000],
      ['a non-number as the middle of the range', () => '0.1' as unknown as number, 500],
      [
        'a throw as the middle of the range',
        () => {
          throw new Error('entropy pool empty');
        },
        500,
      ],
    ];

    it.each(table)('should read %s', (_label, random, expected) => {
      expect(backoffDelay(1, undefined, options, random)).toBe(expected);
    });

    it.each(jitters)('should keep a NaN random in range with jitter %s', (jitter) => {
      const delay = backoffDelay(3, 150, small(jitter), () => NaN);
      const [low, high] = range(jitter, 3, 150, small(jitter));
      expect(delay).toBeGreaterThanOrEqual(low);
      expect(delay).toBeLessThanOrEqual(high);
    });
  });

  it('should not call random for jitter none and call it exactly once otherwise', () => {
    for (const jitter of jitters) {
      let calls = 0;
      backoffDelay(3, 200, small(jitter), () => {
        calls++;
        return 0.5;
      });
      expect([jitter, calls]).toEqual([jitter, jitter === 'none' ? 0 : 1]);
    }
  });

  describe('decorrelated previous delay', () => {
    const options = small('decorrelated');
    const top = () => 1 - Number.EPSILON / 2;

    it('should take initialDelayMs as the previous delay when it is undefined', () => {
      expect(backoffDelay(1, undefined, options, top)).toBe(300);
    });

    it('should draw up to 3 × the previous delay', () => {
      expect(backoffDelay(2, 250, options, top)).toBe(750);
    });

    it('should stop at the cap', () => {
      expect(backoffDelay(2, 900, options, top)).toBe(1_000);
      expect(backoffDelay(2, Infinity, options, top)).toBe(1_000);
    });

    it('should never go below initialDelayMs, even after a short previous delay', () => {
      expect(backoffDelay(2, 10, options, () => 0)).toBe(100);
      expect(backoffDelay(2, 10, options, top)).toBe(100);
    });

    it('should restart from initialDelayMs after a nonsensical previous delay', () => {
      expect(backoffDelay(2, NaN, options, top)).toBe(300);
      expect(backoffDelay(2, -40, options, top)).toBe(300);
    });

    it('should always wait 0 when initialDelayMs is 0', () => {
      const zero = resolveBackoff({ initialDelayMs: 0, jitter: 'decorrelated' });
      expect(delays(20, zero, seeded(3))).toEqual(new Array<number>(20).fill(0));
    });
  });

  it('should never exceed a fractional cap after rounding', () => {
    const options = resolveBackoff({ initialDelayMs: 10.6, multiplier: 2, maxDelayMs: 10.6, jitter: 'none' });
    expect(backoffDelay(1, undefined, options, Math.random)).toBe(10);
  });
});

function defaultBackoffWith(jitter: Jitter): Required<BackoffOptions> {
  return resolveBackoff({ jitter });
}

/** The closed range a delay must fall in, after rounding to whole milliseconds. */
function range(
  jitter: Jitter,
  retry: number,
  previous: number | undefined,
  options: Required<BackoffOptions>,
): [number, number] {
  const that = exponential(retry, options);
  const cap = Math.floor(options.maxDelayMs);
  switch (jitter) {
    case 'none':
      return [Math.min(Math.round(that), cap), Math.min(Math.round(that), cap)];
    case 'full':
      return [0, Math.min(Math.round(that), cap)];
    case 'equal':
      return [Math.floor(that / 2), Math.min(Math.round(that), cap)];
    case 'decorrelated': {
      const high = Math.max(options.initialDelayMs, Math.min(options.maxDelayMs, 3 * (previous ?? options.initialDelayMs)));
      return [Math.min(Math.floor(options.initialDelayMs), cap), Math.min(Math.round(high), cap)];
    }
  }
}
