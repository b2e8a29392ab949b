import { Subject } from 'rxjs';
import type { Logger } from '../types.js';
import { RedisCoordinatorError, type RedisCoordinatorErrorKind } from './redisCoordinatorError.js';

/** Problems go to `errors$` and the logger; news (recoveries) to the logger only. */
export class Reporter {
  readonly #errors = new Subject<RedisCoordinatorError>();
  readonly errors$ = this.#errors.asObservable();

  constructor(
    readonly instanceName: string,
    readonly logger: Logger | undefined,
  ) {}

  report(kind: RedisCoordinatorErrorKind, message: string, cause?: unknown): void {
    const error = new RedisCoordinatorError(kind, message, cause === undefined ? undefined : { cause });
    const level = kind === 'connection' || kind === 'instance-name' ? 'error' : 'warn';
    this.#write(level, { instanceName: this.instanceName, kind, err: cause }, message);
    if (!this.#errors.closed) this.#errors.next(error);
  }

  log(level: 'info' | 'warn', message: string): void {
    this.#write(level, { instanceName: this.instanceName }, message);
  }

  complete(): void {
    this.#errors.complete();
  }

  #write(level: 'info' | 'warn' | 'error', obj: object, message: string): void {
    try {
      this.logger?.[level](obj, message);
    } catch {
      // A broken logger must never break slot coordination.
    }
  }
}
