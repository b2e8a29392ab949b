import {
  BehaviorSubject,
  combineLatest,
  connect,
  defer,
  endWith,
  filter,
  ignoreElements,
  interval,
  map,
  NEVER,
  ReplaySubject,
  share,
  startWith,
  takeUntil,
  throttleTime,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { ObservedManager, StatsSnapshot, TaskEvent } from '../types.js';
import { busiestFirst, failureRow, providerRows, type ClusterStats, type DashboardState, type FailureRow, type StatsSample } from './dashboardState.js';


export interface LiveStateOptions {
  readonly throttleMs: number;
  readonly rateWindowMs: number;
  readonly maxFailures: number;
  readonly scheduler: SchedulerLike;
}

/** The dashboard's states and the subscription that collects failures (ended by `close`). */
export interface LiveState {
  readonly states$: Observable<DashboardState>;
  close(): void;
}

const isFailed = (event: TaskEvent): event is Extract<TaskEvent, { type: 'failed' }> => event.type === 'failed';

/**
 * Failures are collected from the start (a page opened later still shows them); stats are read
 * only while a page is open. States come at most once per `throttleMs` (the last one of a burst
 * included), and once a second besides so that rates fall back to 0 when nothing happens; they
 * are shared by every open page and complete when the manager's `stats$` completes (at shutdown).
 */
export function liveState(manager: ObservedManager, options: LiveStateOptions): LiveState {
  const { scheduler } = options;
  const failures = new BehaviorSubject<readonly FailureRow[]>([]);
  const collecting: Subscription = manager.events$.pipe(filter(isFailed)).subscribe((event) => {
    failures.next([failureRow(event), ...failures.value].slice(0, options.maxFailures));
  });
  /** Turns readings into states; `samples` holds the stats of the rate window, per reading. */
  const toState = (samples: StatsSample[], stats: StatsSnapshot, recent: readonly FailureRow[], cluster: ClusterStats | undefined): DashboardState => {
    const now = scheduler.now();
    samples.push({ at: now, stats });
    // Keep the newest sample at or before the window's start, so a rate covers the whole window.
    while (samples.length > 2 && (samples[1] as StatsSample).at <= now - options.rateWindowMs) samples.shift();
    return {
      now,
      providers: providerRows(samples[samples.length - 1] as StatsSample, samples[0] as StatsSample),
      budgets: busiestFirst(stats.servers, cluster),
      failures: recent,
    };
  };

  // Read only while a page is open, like stats; until its first read (or without one) rows have no cluster part.
  const clusterStats$ = (manager.clusterStats$ ?? NEVER).pipe(startWith(undefined));
  const states$ = manager.stats$.pipe(
    connect((stats$) =>
      combineLatest([stats$, failures, clusterStats$, interval(1000, scheduler).pipe(startWith(0))]).pipe(
        takeUntil(stats$.pipe(ignoreElements(), endWith(true))),
      ),
    ),
    throttleTime(options.throttleMs, scheduler, { leading: true, trailing: true }),
    // A new reading (the first page after none was open) starts its rates afresh.
    (readings$) => defer(() => {
      const samples: StatsSample[] = [];
      return readings$.pipe(map(([stats, recent, cluster]) => toState(samples, stats, recent, cluster)));
    }),
    // One reading for every open page; the last state is replayed to a page that opens later.
    share({ connector: () => new ReplaySubject<DashboardState>(1), resetOnRefCountZero: true, resetOnComplete: false }),
  );
  return {
    states$,
    close: () => {
      collecting.unsubscribe();
      failures.complete();
    },
  };
}
