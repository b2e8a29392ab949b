import { Observable, type Subscriber } from 'rxjs';

/**
 * A hot stream (the manager's events, a coordinator's changes): like a Subject, without the closure
 * a Subject allocates on every `next` (several notifications per task made that a measurable share
 * of a dispatch).
 * @internal
 */
export class Multicast<T> {
  #subscribers: Subscriber<T>[] = [];
  #done = false;
  readonly observable = new Observable<T>((subscriber) => {
    if (this.#done) {
      subscriber.complete();
      return undefined;
    }
    // Copy on write: a subscriber added or removed during `next` does not disturb the loop.
    this.#subscribers = [...this.#subscribers, subscriber];
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
    };
  });

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
