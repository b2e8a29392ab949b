import { Observable, type Observer, type Operator, Subscriber, type Subscription, type TeardownLogic } from 'rxjs';

/**
 * An Observable whose observers may throw without harm: the throw is handed to `report` instead of
 * reaching rxjs, whose default for a throwing observer is to rethrow it from a timer, which ends a
 * Node process. The guard follows the stream through rxjs's pipeable operators (they `lift`), so
 * `events$.pipe(filter(...)).subscribe(fn)` is guarded too.
 * @internal
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    subscribe: ((this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic) | undefined,
    readonly report: (error: unknown) => void,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new GuardedObservable<R>(undefined, this.report);
    observable.source = this;
    observable.operator = operator;
    return observable;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    // An operator's own subscriber is linked to its downstream: it must stay as it is.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    // rxjs's deprecated three-callback form, still common: the same observer as an object.
    if (typeof observerOrNext !== 'object' && (typeof error === 'function' || typeof complete === 'function')) {
      const observer: Partial<Observer<T>> = {};
      if (typeof observerOrNext === 'function') observer.next = observerOrNext;
      if (typeof error === 'function') observer.error = error;
      if (typeof complete === 'function') observer.complete = complete;
      return super.subscribe(guard(observer, this.report));
    }
    return super.subscribe(guard(observerOrNext ?? undefined, this.report));
  }
}

function guard<T>(observerOrNext: Partial<Observer<T>> | ((value: T) => void) | undefined, report: (error: unknown) => void): Partial<Observer<T>> {
  if (typeof observerOrNext === 'function') {
    // The common `subscribe(fn)`: called directly, per value.
    const next = observerOrNext;
    return {
      next: (value) => {
        try {
          next(value);
        } catch (thrown) {
          report(thrown);
        }
      },
      error: report,
    };
  }
  const observer: Partial<Observer<T>> = typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
  const { next, error, complete } = observer;
  return {
    next: (value) => {
      try {
        next?.call(observer, value);
      } catch (thrown) {
        report(thrown);
      }
    },
    error: (err: unknown) => {
      try {
        if (error === undefined) report(err);
        else error.call(observer, err);
      } catch (thrown) {
        report(thrown);
      }
    },
    complete: () => {
      try {
        complete?.call(observer);
      } catch (thrown) {
        report(thrown);
      }
    },
  };
}
