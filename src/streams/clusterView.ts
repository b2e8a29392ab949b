import { EMPTY, endWith, ignoreElements, type Observable, takeUntil } from 'rxjs';
import { GuardedObservable } from '../internal/guardedObservable.js';
import type { ClusterStats } from '../slots/slotCoordinator.js';

/**
 * `clusterStats$`: the coordinator's cluster-wide view, read on the coordinator's cadence (the
 * synchronous `stats()` never waits for it), until the manager stops; with no such view (the
 * in-process coordinator) it completes at once. A subscriber that throws is reported and keeps
 * its subscription. `finished$` completes when the manager has stopped.
 * @internal
 */
export function clusterView(source: Observable<ClusterStats> | undefined, finished$: Observable<never>, report: (error: unknown) => void): Observable<ClusterStats> {
  const view = source === undefined ? EMPTY : source.pipe(takeUntil(finished$.pipe(ignoreElements(), endWith(true))));
  return new GuardedObservable<ClusterStats>((subscriber) => view.subscribe(subscriber), report);
}
