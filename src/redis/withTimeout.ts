import { timer, type SchedulerLike } from 'rxjs';

/** Settles like `promise`, or rejects with `onTimeout()` if it takes longer than `ms` on `scheduler`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, scheduler: SchedulerLike, onTimeout: () => Error): Promise<T> {
  if (ms === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const expiry = timer(ms, scheduler).subscribe(() => reject(onTimeout()));
    promise.then(
      (value) => {
        expiry.unsubscribe();
        resolve(value);
      },
      (error: unknown) => {
        expiry.unsubscribe();
        reject(error);
      },
    );
  });
}
