import { InvalidOptionError } from './invalidOption.js';

// Small predicates shared by every boundary (manager options, task input, operator options), so a
// field is judged the same way wherever it is given. Each `expect*` returns the expectation text
// when the value is wrong, or undefined when it is acceptable.

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Safe integers only: `1e308` is an integer, but counting to it is not a plan (and `Infinity` is refused). */
export function expectNonNegativeInteger(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'an integer from 0 to 2^53 - 1';
}

export function expectPositiveOrInfinity(v: unknown): string | undefined {
  return typeof v === 'number' && v > 0 && !Number.isNaN(v) ? undefined : 'a number above 0, or Infinity';
}

export function expectNonNegativeOrInfinity(v: unknown): string | undefined {
  return typeof v === 'number' && v >= 0 && !Number.isNaN(v) ? undefined : 'a number from 0 and up, or Infinity';
}

export function expectLimit(v: unknown): string | undefined {
  return v === Infinity || (typeof v === 'number' && Number.isInteger(v) && v >= 0)
    ? undefined
    : 'an integer from 0 and up, or Infinity';
}

/** A queue bound (`maxQueued`): a whole count of waiting items, or no bound. */
export function expectMaxQueued(v: unknown): string | undefined {
  return v === Infinity || (Number.isInteger(v) && (v as number) >= 1) ? undefined : 'an integer from 1 and up, or Infinity';
}

/** What a full queue does with a newcomer (`overflow`). */
export function expectOverflow(v: unknown): string | undefined {
  return v === 'reject' || v === 'drop-oldest' ? undefined : "'reject' or 'drop-oldest'";
}

export function expectFiniteNumber(v: unknown): string | undefined {
  return isFiniteNumber(v) ? undefined : 'a finite number';
}

export function expectNonEmptyString(v: unknown, maxLength = 4096): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= maxLength
    ? undefined
    : `a non-empty string of at most ${maxLength} characters`;
}

export function expectFunction(v: unknown): string | undefined {
  return typeof v === 'function' ? undefined : 'a function';
}

/** Duck-typed: TestScheduler and custom schedulers are not instances of one class. */
export function expectScheduler(v: unknown): string | undefined {
  return typeof v === 'object' &&
    v !== null &&
    typeof (v as { now?: unknown }).now === 'function' &&
    typeof (v as { schedule?: unknown }).schedule === 'function'
    ? undefined
    : 'a SchedulerLike (an object with now() and schedule())';
}

/** A pino-compatible logger: the four methods smt-rx calls. */
export function expectLogger(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' && ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
    ? undefined
    : 'an object with debug, info, warn and error methods';
}

/** Throws an `InvalidOptionError` (a `TypeError`) when `expectation` says the value is wrong. */
export function check(field: string, value: unknown, expectation: (v: unknown) => string | undefined): void {
  const expected = expectation(value);
  if (expected !== undefined) throw new InvalidOptionError(field, expected, value);
}

/** Like `check`, but an `undefined` value is accepted (the option takes its default). */
export function checkOptional(field: string, value: unknown, expectation: (v: unknown) => string | undefined): void {
  if (value !== undefined) check(field, value, expectation);
}
