import { check, checkOptional, isFiniteNumber } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { readFields } from '../errors/readOnce.js';
import type { BackoffOptions } from '../types.js';

// Backoff as pure values: options in, a delay in whole milliseconds out. Waiting is someone
// else's job (`retryWithBackoff` turns a delay into `timer(delay, scheduler)`), so everything
// here is testable without a clock.

type Jitter = Required<BackoffOptions>['jitter'];

const jitters: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

const BACKOFF_KEYS = ['initialDelayMs', 'multiplier', 'maxDelayMs', 'jitter'] as const satisfies ReadonlyArray<keyof BackoffOptions>;

/** The largest double below 1: where a `random()` of 1 or more is clamped to. */
const BELOW_ONE = 1 - Number.EPSILON / 2;

/** Used when `random()` throws or returns something that is not a number: the middle of the range. */
const FALLBACK_RANDOM = 0.5;

/**
 * The backoff used when none, or only part of one, is given: 100 ms, doubling per retry, capped at
 * 30 s, with full jitter.
 *
 * <span class="informal">Merge your own options over it with {@link resolveBackoff}.</span>
 *
 * ## Example
 *
 * ```ts
 * import { defaultBackoff } from 'smt-rx/operators';
 *
 * console.log(defaultBackoff.maxDelayMs);
 * // 30000
 * ```
 */
export const defaultBackoff: Required<BackoffOptions> = Object.freeze({
  initialDelayMs: 100,
  multiplier: 2,
  maxDelayMs: 30_000,
  jitter: 'full',
});

const expectDelay = (v: unknown): string | undefined =>
  isFiniteNumber(v) && v >= 0 ? undefined : 'a finite number from 0 and up';

const expectMultiplier = (v: unknown): string | undefined =>
  isFiniteNumber(v) && v >= 1 ? undefined : 'a finite number from 1 and up';

const expectJitter = (v: unknown): string | undefined =>
  typeof v === 'string' && (jitters as readonly string[]).includes(v)
    ? undefined
    : "one of 'none', 'full', 'equal', 'decorrelated'";

const expectOptionsObject = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'an object of backoff options';

/**
 * Fills in the defaults of a backoff and checks every field.
 *
 * <span class="informal">Validate once, where the options enter, then pass the result to
 * {@link backoffDelay} as often as you like.</span>
 *
 * Throws a `TypeError` (an `InvalidOptionError`) that names the field, e.g. `backoff.multiplier`,
 * when `initialDelayMs` is not a finite number from 0, `multiplier` not a finite number from 1,
 * `maxDelayMs` not a finite number from `initialDelayMs` (the default cap counts too: an
 * `initialDelayMs` above 30 000 needs its own `maxDelayMs`), or `jitter` not one of the four names.
 *
 * ## Example
 *
 * ```ts
 * import { resolveBackoff } from 'smt-rx/operators';
 *
 * console.log(resolveBackoff({ initialDelayMs: 250, jitter: 'none' }));
 * // { initialDelayMs: 250, multiplier: 2, maxDelayMs: 30000, jitter: 'none' }
 *
 * resolveBackoff({ multiplier: 0.5 });
 * // TypeError: Expected `backoff.multiplier` to be a finite number from 1 and up, got `0.5` (number)
 * ```
 *
 * @param options The options given, or `undefined` for {@link defaultBackoff}.
 * @param field The name of the option in error messages; fields are reported as `<field>.<name>`.
 * @returns A frozen, complete set of backoff options.
 */
export function resolveBackoff(options?: BackoffOptions, field = 'backoff'): Required<BackoffOptions> {
  if (options === undefined) return defaultBackoff;
  check(field, options, expectOptionsObject);
  // Each field is read once: the copy is what is checked and used.
  const given = readFields(options, BACKOFF_KEYS, `${field}.`) as BackoffOptions;
  checkOptional(`${field}.initialDelayMs`, given.initialDelayMs, expectDelay);
  checkOptional(`${field}.multiplier`, given.multiplier, expectMultiplier);
  checkOptional(`${field}.maxDelayMs`, given.maxDelayMs, expectDelay);
  checkOptional(`${field}.jitter`, given.jitter, expectJitter);
  const resolved: Required<BackoffOptions> = Object.freeze({
    initialDelayMs: given.initialDelayMs ?? defaultBackoff.initialDelayMs,
    multiplier: given.multiplier ?? defaultBackoff.multiplier,
    maxDelayMs: given.maxDelayMs ?? defaultBackoff.maxDelayMs,
    jitter: given.jitter ?? defaultBackoff.jitter,
  });
  if (resolved.maxDelayMs < resolved.initialDelayMs) {
    throw new InvalidOptionError(
      `${field}.maxDelayMs`,
      `a finite number from \`${field}.initialDelayMs\` (${resolved.initialDelayMs}) and up`,
      resolved.maxDelayMs,
    );
  }
  return resolved;
}

/**
 * The delay before retry `retry`, in whole milliseconds, for a backoff and a random source.
 *
 * <span class="informal">Exponential growth up to a cap, then jitter; a pure function of its
 * arguments, safe for any retry number.</span>
 *
 * Retry n (n = 1 for the first retry) waits `min(maxDelayMs, initialDelayMs * multiplier^(n-1))`
 * before jitter. Then:
 * - `none` waits exactly that;
 * - `full` draws from [0, that];
 * - `equal` draws from [that / 2, that];
 * - `decorrelated` draws from [initialDelayMs, min(maxDelayMs, 3 × previousDelayMs)], with
 *   `previousDelayMs` taken as `initialDelayMs` when `undefined` (it ignores `n` and
 *   `multiplier`; with `initialDelayMs` 0 it always waits 0).
 *
 * Guarantees, whatever the inputs:
 * - the result is a whole number of milliseconds (rounded to the nearest), from 0 to
 *   `maxDelayMs` (rounded down when the cap is fractional), never `NaN` or `Infinity`. Growth
 *   saturates at the cap: retry 100 000 waits as long as the retry that first reached it.
 *   A `retry` below 1, fractional or `NaN` counts as the nearest valid retry (1 for `NaN`).
 * - `random` is called at most once, and not at all for `none`. A value below 0 counts as 0, a
 *   value of 1 or more as the largest number below 1, and `NaN`, a non-number or a throw as 0.5
 *   (the middle of the range), so a broken random source degrades to a fixed delay, never to
 *   a bad one.
 *
 * ## Example
 *
 * ```ts
 * import { backoffDelay, resolveBackoff } from 'smt-rx/operators';
 *
 * const backoff = resolveBackoff({ initialDelayMs: 100, multiplier: 2, jitter: 'none' });
 * console.log([1, 2, 3, 4].map((n) => backoffDelay(n, undefined, backoff, Math.random)));
 * // [100, 200, 400, 800]
 * ```
 *
 * @param retry The retry number, 1 for the first retry.
 * @param previousDelayMs The delay returned for the previous retry; only `decorrelated` uses it.
 * @param options Complete backoff options, as returned by {@link resolveBackoff}.
 * @param random A source of numbers in [0, 1), such as `Math.random`.
 * @returns The delay in whole milliseconds.
 */
export function backoffDelay(
  retry: number,
  previousDelayMs: number | undefined,
  options: Required<BackoffOptions>,
  random: () => number,
): number {
  const { initialDelayMs, maxDelayMs, jitter } = options;
  const base = exponentialDelay(normaliseRetry(retry), options);
  let raw: number;
  switch (jitter) {
    case 'none':
      raw = base;
      break;
    case 'full':
      raw = draw(0, base, random);
      break;
    case 'equal':
      raw = draw(base / 2, base, random);
      break;
    case 'decorrelated':
      raw = draw(initialDelayMs, decorrelatedCeiling(previousDelayMs, options), random);
      break;
  }
  return toWholeMs(raw, maxDelayMs);
}

/** `min(maxDelayMs, initialDelayMs * multiplier^(retry-1))`, saturating instead of overflowing. */
function exponentialDelay(retry: number, { initialDelayMs, multiplier, maxDelayMs }: Required<BackoffOptions>): number {
  // Nothing grows: also avoids 0 × Infinity and 1^Infinity, the two products that give NaN.
  if (initialDelayMs === 0 || multiplier === 1) return Math.min(initialDelayMs, maxDelayMs);
  // Doubles saturate at Infinity instead of wrapping like the Go original's int64, and min()
  // turns Infinity into the cap, so no exponent is too large.
  return Math.min(maxDelayMs, initialDelayMs * multiplier ** (retry - 1));
}

function normaliseRetry(retry: number): number {
  if (Number.isNaN(retry)) return 1;
  return Math.max(1, Math.round(retry));
}

/** The top of the decorrelated range: 3 × the previous delay, within [initialDelayMs, maxDelayMs]. */
function decorrelatedCeiling(previousDelayMs: number | undefined, options: Required<BackoffOptions>): number {
  const { initialDelayMs, maxDelayMs } = options;
  // A missing or nonsensical previous delay restarts the sequence rather than poisoning it.
  const previous =
    typeof previousDelayMs === 'number' && previousDelayMs >= 0 ? previousDelayMs : initialDelayMs;
  // A rounded-down previous delay can make 3 × previous fall below the floor; keep the range valid.
  return Math.max(initialDelayMs, Math.min(maxDelayMs, 3 * previous));
}

/** A point of [low, high] chosen by `random`. */
function draw(low: number, high: number, random: () => number): number {
  return low + safeRandom(random) * (high - low);
}

function safeRandom(random: () => number): number {
  let r: unknown;
  try {
    r = random();
  } catch {
    return FALLBACK_RANDOM;
  }
  if (typeof r !== 'number' || Number.isNaN(r)) return FALLBACK_RANDOM;
  if (r < 0) return 0;
  if (r >= 1) return BELOW_ONE;
  return r;
}

/** Whole milliseconds keep marble tests readable and the decorrelated state an integer. */
function toWholeMs(raw: number, maxDelayMs: number): number {
  const delay = Math.min(Math.round(raw), Math.floor(maxDelayMs));
  // Not finite only for options that bypassed resolveBackoff; retrying at once beats NaN.
  return Number.isFinite(delay) && delay > 0 ? delay : 0;
}
