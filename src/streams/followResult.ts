import { from, isObservable, type Observable, type Unsubscribable } from 'rxjs';

/** What a handler's result reports to (the attempt). */
export interface Follower {
  /** Whether an Observable result may still be subscribed. */
  readonly mayStart: boolean;
  /** The result is known: a value, or an error (a rejection, a throw of a thenable's `then`). */
  finishEntry(ok: boolean, valueOrError: unknown): void;
  /** An Observable result was subscribed; `finished` is set when it already completed or errored. */
  following(inner: Unsubscribable, finished: { ok: boolean; value: unknown } | undefined): void;
  /** The Observable result completed or errored later. */
  innerFinished(result: { ok: boolean; value: unknown }): void;
}

/**
 * Follows whatever a handler returned to its end: a Promise (or thenable) is awaited, an
 * Observable is followed to completion and its last value counts, anything else is the value
 * itself (arrays and strings are values, not streams). Runs user code (`then`, `subscribe`): call
 * it only while no state change is under way.
 * @internal
 */
export function followResult(result: unknown, follower: Follower): void {
  let then: unknown;
  try {
    then = isObject(result) ? (result as { then?: unknown }).then : undefined;
  } catch (error) {
    follower.finishEntry(false, error); // a throwing `then` getter
    return;
  }
  if (typeof then === 'function') {
    try {
      then.call(
        result,
        (value: unknown) => follower.finishEntry(true, value),
        (error: unknown) => follower.finishEntry(false, error),
      );
    } catch (error) {
      follower.finishEntry(false, error); // a `then` that throws
    }
    return;
  }
  const observable = toObservable(result);
  if (observable === undefined) {
    follower.finishEntry(true, result);
    return;
  }
  subscribeTo(observable, follower);
}

function subscribeTo(observable: Observable<unknown>, follower: Follower): void {
  if (!follower.mayStart) {
    follower.finishEntry(false, undefined); // cancelled while the handler was called: never start its stream
    return;
  }
  let last: unknown = undefined;
  let finished: { ok: boolean; value: unknown } | undefined;
  let subscribed = false;
  const end = (result: { ok: boolean; value: unknown }): void => {
    finished = result;
    if (subscribed) follower.innerFinished(result);
  };
  let inner: Unsubscribable;
  try {
    inner = observable.subscribe({
      next: (value) => {
        last = value;
      },
      error: (error: unknown) => end({ ok: false, value: error }),
      complete: () => end({ ok: true, value: last }),
    });
  } catch (error) {
    follower.finishEntry(false, error); // an interop Observable whose subscribe throws
    return;
  }
  subscribed = true;
  follower.following(inner, finished);
}

function isObject(value: unknown): boolean {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

/**
 * The stream to follow when a handler returned an Observable (or an interop observable); undefined
 * otherwise. Arrays, strings and other iterables are plain values here.
 */
function toObservable(value: unknown): Observable<unknown> | undefined {
  if (isObservable(value)) return value;
  if (value === null || typeof value !== 'object') return undefined;
  const interop = (value as Record<string, unknown>)['@@observable'];
  return typeof interop === 'function' ? from(value as Observable<unknown>) : undefined;
}
