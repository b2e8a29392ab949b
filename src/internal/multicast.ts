import { Observable, type Subscriber } from 'rxjs';
import { GuardedObservable } from './guardedObservable.js';

/**
 * A hot stream (the manager's events, a coordinator's changes): like a Subject, without the closure
 * a Subject allocates on every `next` (several notifications per task made that a measurable share
 * of a dispatch). Given `report`, its observers may throw: the throw goes to `report` (see
 * {@link GuardedObservable}) and the other observers still hear every value.
 * @internal
 */
export class Multicast<T> {
  #subscribers: Subscriber<T>[] = [];
  #done = false;
  readonly observable: Observable<T>;

  constructor(report?: (error: unknown) => void) {
    const subscribe = (subscriber: Subscriber<T>) => this.#subscribe(subscriber);
    this.observable = report === undefined ? new Observable<T>(subscribe) : new GuardedObservable<T>(subscribe, report);
  }

  #subscribe(subscriber: Subscriber<T>): () => void {
    if (this.#done) {
      subscriber.complete();
      return () => undefined;
    }
    // Copy on write: a subscriber added or removed during `next` does not disturb the loop.
    this.#subscribers = [...this.#subscribers, subscriber];
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
    };
  }

  get observed(): boolean {
    return this.#subscribers.length > 0;
  }

  next(value: T): void {
    const subscribers = this.#subscribers;
    for (let i = 0; i < subscribers.length; i++) (subscribers[i] as Subscriber<T>).next(value);
  }

  complete(): void {
    if (this.#done) return;
    this.#done = true;
    const subscribers = this.#subscribers;
    this.#subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }
}
