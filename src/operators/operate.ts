import { Observable, type OperatorFunction, type Subscriber, type TeardownLogic } from 'rxjs';

/**
 * Our twenty-line version of rxjs's internal `operate`: builds an operator from an init function
 * that subscribes to the source and returns its teardown. Anything `init` throws goes to the
 * subscriber's error channel instead of escaping into the caller of `subscribe`.
 * Operators subscribe to their source with {@link subscribeToSource}, so that a synchronous source
 * stops as soon as the downstream unsubscribes.
 * @internal
 */
export function operate<T, R>(
  init: (source: Observable<T>, subscriber: Subscriber<R>) => TeardownLogic,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      try {
        return init(source, subscriber);
      } catch (error) {
        subscriber.error(error);
        return undefined;
      }
    });
}
