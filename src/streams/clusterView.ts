import type { Observable } from 'rxjs';
import { GuardedObservable } from '../internal/guardedObservable.js';
import type { ClusterStats } from '../slots/slotCoordinator.js';

/**
 * `clusterStats$`: the coordinator's cluster-wide view, read on the coordinator's cadence (the
 * synchronous `stats()` never waits for it), until the manager stops (`finished$` completes);
 * with no such view (the in-process coordinator) it completes at once. A subscriber that throws is
 * reported and keeps its subscription. The coordinator's stream is subscribed on its own and let
 * go of explicitly, so that stopping never depends on how a subscriber chains its teardown.
 * @internal
 */
export function clusterView(source: Observable<ClusterStats> | undefined, finished$: Observable<never>, report: (error: unknown) => void): Observable<ClusterStats> {
  return new GuardedObservable<ClusterStats>((subscriber) => {
    if (source === undefined) {
      subscriber.complete();
      return undefined;
    }
    const readings = source.subscribe({ next: (stats) => subscriber.next(stats), error: (error: unknown) => subscriber.error(error), complete: () => subscriber.complete() });
    const stop = finished$.subscribe({ complete: () => subscriber.complete() });
    return () => {
      readings.unsubscribe();
      stop.unsubscribe();
    };
  }, report);
}
