import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import type { RedisClient } from './client.js';

export interface ConnectionHandlers {
  /** The connection dropped; `cause` is the last error the client reported, if any. */
  readonly onDown: (cause: unknown) => void;
  /** The connection is back after a drop. */
  readonly onUp: () => void;
}

/**
 * Follows a client's connection: admission depends on it (no slot is granted while Redis cannot
 * be asked), and recovery starts when it returns. The client's own 'error' events are absorbed
 * here, so a reconnect loop reports one outage instead of one error per attempt.
 */
export class ConnectionWatch {
  readonly #client: RedisClient;
  readonly #state: BehaviorSubject<boolean>;
  readonly connected$: Observable<boolean>;
  #lastError: unknown = undefined;
  readonly #listeners: Array<[string, (...args: unknown[]) => void]>;
  #attached = false;

  constructor(client: RedisClient, handlers: ConnectionHandlers) {
    this.#client = client;
    this.#state = new BehaviorSubject(false);
    this.connected$ = this.#state.pipe(distinctUntilChanged());
    const down = (): void => {
      if (!this.#state.value) return;
      this.#state.next(false);
      handlers.onDown(this.#lastError);
    };
    this.#listeners = [
      ['error', (error) => (this.#lastError = error)],
      ['close', down],
      ['end', down],
      [
        'ready',
        () => {
          this.#lastError = undefined;
          if (this.#state.value) return;
          this.#state.next(true);
          handlers.onUp();
        },
      ],
    ];
  }

  /** Starts following the client, once it is connected and the coordinator is set up. */
  attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#state.next(this.#client.status === 'ready');
    for (const [event, listener] of this.#listeners) this.#client.on(event, listener);
  }

  get ready(): boolean {
    return this.#state.value && this.#client.status === 'ready';
  }

  dispose(): void {
    if (this.#attached) for (const [event, listener] of this.#listeners) this.#client.off(event, listener);
    this.#attached = false;
    this.#state.complete();
  }
}
