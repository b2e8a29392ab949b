import { Observable, type OperatorFunction, type Subscriber, takeWhile, type TeardownLogic } from 'rxjs';

/**
 * Our twenty-line version of rxjs's internal `operate`: builds an operator from an init function
 * that subscribes to the source and returns its teardown. Anything `init` throws goes to the
 * subscriber's error channel instead of escaping into the caller of `subscribe`.
 *
 * The source is handed over behind `takeWhile(() => !subscriber.closed)`: a synchronous source
 * (`from(array)`, a loop) emits before `init` has returned its teardown, so without that link it
 * would go on emitting after the downstream unsubscribed (`take(3)` would still read everything,
 * and an endless synchronous source would never stop).
 * @internal
 */
export function operate<T, R>(
  init: (source: Observable<T>, subscriber: Subscriber<R>) => TeardownLogic,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      try {
        return init(source.pipe(takeWhile(() => !subscriber.closed)), subscriber);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
    });
}
