import { BehaviorSubject, NEVER, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { ClusterStats, ObservedManager, StatsSnapshot } from '../../src/index.js';
import type { DashboardState } from '../../src/dashboard/index.js';
import { liveState } from '../../src/dashboard/liveState.js';

const snapshot: StatsSnapshot = {
  providers: {},
  servers: { 'https://a.example.com/': { limit: 4, inUse: 1, waiters: 2 }, 'https://b.example.com/': { limit: 1, inUse: 0, waiters: 0 } },
};

function readStates(manager: ObservedManager, scheduler: TestScheduler): DashboardState[] {
  const states: DashboardState[] = [];
  liveState(manager, { throttleMs: 0, rateWindowMs: 10_000, maxFailures: 5, scheduler }).states$.subscribe((s) => states.push(s));
  return states;
}

describe('dashboard: the cluster-wide view', () => {
  it('should show, beside each budget it covers, the slots in use in every process and the processes waiting', () => {
    const scheduler = new TestScheduler(() => undefined);
    const cluster = new Subject<ClusterStats>();
    const manager: ObservedManager = { stats: () => snapshot, stats$: new BehaviorSubject(snapshot), events$: NEVER, clusterStats$: cluster };
    const states = readStates(manager, scheduler);
    // Before the first reading: the per-process rows alone.
    expect(states.at(-1)?.budgets.map((b) => b.cluster)).toEqual([undefined, undefined]);

    cluster.next({ 'https://a.example.com/': { limit: 4, inUse: 3, waiters: 2 } });
    scheduler.flush();
    const rows = states.at(-1)?.budgets ?? [];
    expect(rows[0]).toEqual({ key: 'https://a.example.com/', limit: 4, inUse: 1, waiters: 2, cluster: { inUse: 3, waiters: 2 } });
    // A budget the reading does not cover keeps no cluster part (and the JSON no such field).
    expect(JSON.parse(JSON.stringify(rows[1]))).toEqual({ key: 'https://b.example.com/', limit: 1, inUse: 0, waiters: 0 });
  });

  it('should show the per-process rows alone for a manager without a cluster view', () => {
    const scheduler = new TestScheduler(() => undefined);
    const manager: ObservedManager = { stats: () => snapshot, stats$: new BehaviorSubject(snapshot), events$: NEVER };
    const states = readStates(manager, scheduler);
    expect(states).toHaveLength(1);
    expect(states[0]?.budgets.every((b) => !('cluster' in b))).toBe(true);
  });
});
