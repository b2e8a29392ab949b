import { type Observable, type Observer, type Subscriber, Subscription } from 'rxjs';

/**
 * Subscribes an operator to its source with an observer that is itself the subscription.
 *
 * RxJS uses an object that is both an Observer and a Subscription as the subscriber as it is
 * (no SafeSubscriber around it). Added to the downstream subscriber, it closes as soon as the
 * downstream unsubscribes, so a synchronous source (`from(array)`, a loop checking `closed`)
 * stops at once instead of emitting everything before the teardown is even returned. It also
 * saves the wrappers RxJS would allocate per subscription, which matters on the per-task path.
 * @internal
 */
export function subscribeToSource<T>(source: Observable<T>, downstream: Subscriber<unknown>, observer: Partial<Observer<T>>): Subscription {
  const linked = new SourceObserver(downstream, observer);
  downstream.add(linked);
  source.subscribe(linked);
  return linked;
}

/** @internal */
export class SourceObserver<T> extends Subscription implements Observer<T> {
  #stopped = false;

  constructor(
    readonly downstream: Subscriber<unknown>,
    readonly observer: Partial<Observer<T>>,
  ) {
    super();
  }

  next(value: T): void {
    if (this.#stopped || this.closed) return;
    try {
      this.observer.next?.(value);
    } catch (error) {
      this.#fail(error);
    }
  }

  error(error: unknown): void {
    if (this.#stopped || this.closed) return;
    this.#stopped = true;
    try {
      if (this.observer.error !== undefined) this.observer.error(error);
      else this.downstream.error(error);
    } finally {
      this.unsubscribe();
    }
  }

  complete(): void {
    if (this.#stopped || this.closed) return;
    this.#stopped = true;
    try {
      if (this.observer.complete !== undefined) this.observer.complete();
      else this.downstream.complete();
    } finally {
      this.unsubscribe();
    }
  }

  /** A handler threw: like rxjs operators, the error goes downstream and the source is dropped. */
  #fail(error: unknown): void {
    this.#stopped = true;
    this.downstream.error(error);
    this.unsubscribe();
  }
}
