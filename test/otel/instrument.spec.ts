import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { mergeMap, NEVER, Subject, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createTaskManager, defineProvider, type AttemptContext, type ClusterStats, type ObservedManager, type Task, type TaskManager } from '../../src/index.js';
import { instrument } from '../../src/otel/index.js';
import { virtualWork } from '../../src/testing/index.js';

/** A meter whose metrics are read on demand through the SDK's in-memory exporter. */
function inMemoryMeter() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  /** Flushes, then returns the latest export's metrics by name. */
  const read = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await reader.forceFlush();
    const metrics = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((scope) => scope.metrics) ?? [];
    return new Map(metrics.map((metric) => [metric.descriptor.name, metric]));
  };
  return { meter: provider.getMeter('test'), read, shutdown: () => provider.shutdown() };
}

/** The value of the data point of `name` whose attributes are exactly `attributes`. */
function valueOf(metrics: Map<string, MetricData>, name: string, attributes: Record<string, string>): unknown {
  const metric = metrics.get(name);
  const point = metric?.dataPoints.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes));
  return point?.value;
}

/** A handler in virtual time: each task's payload lists its attempts' durations; a negative one fails after that long. */
function scriptedProvider(scheduler: TestScheduler) {
  return defineProvider({
    name: 'gpu',
    servers: ['https://user:secret@gpu-1.example.com/v1'],
    handle: (task: Task<readonly number[]>, ctx: AttemptContext) => {
      const ms = task.payload[ctx.attempt - 1] ?? 10;
      if (ms >= 0) return virtualWork(ms, 'done', scheduler);
      return timer(-ms, scheduler).pipe(mergeMap(() => throwError(() => new Error('boom'))));
    },
  });
}

describe('instrument', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** Instruments `manager` on an in-memory meter; both are stopped after the test. */
  function instrumented(manager: TaskManager) {
    const { meter, read, shutdown } = inMemoryMeter();
    cleanups.push(shutdown);
    const instrumentation = instrument(manager, meter);
    cleanups.push(() => instrumentation.stop());
    return { read, instrumentation };
  }

  /**
   * One server of limit 1 and three tasks, at t=0: A runs 100 ms; B fails after 1 ms, retries after
   * 5 ms of backoff and runs 50 ms; C runs 30 ms. So A runs 0–100, B 100–101, C 101–131, B 131–181.
   */
  function threeTasks() {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const manager = createTaskManager({
      providers: [scriptedProvider(scheduler)],
      serverLimits: { 'https://gpu-1.example.com': 1 },
      retry: { maxRetries: 1, backoff: { initialDelayMs: 5, jitter: 'none' } },
      scheduler,
    });
    const { read, instrumentation } = instrumented(manager);
    for (const payload of [[100], [-1, 50], [30]]) manager.submit({ provider: 'gpu', payload });
    return { scheduler, read, instrumentation };
  }

  it('should report the stats as gauges and counters, with provider and budget attributes only', async () => {
    const { scheduler, read } = threeTasks();
    const budget = 'https://gpu-1.example.com/';
    let metrics = await read();
    expect(valueOf(metrics, 'smt_rx.provider.queued', { provider: 'gpu' })).toBe(2);
    expect(valueOf(metrics, 'smt_rx.provider.running', { provider: 'gpu' })).toBe(1);
    expect(valueOf(metrics, 'smt_rx.budget.in_use', { budget })).toBe(1);
    expect(valueOf(metrics, 'smt_rx.budget.limit', { budget })).toBe(1);
    expect(valueOf(metrics, 'smt_rx.budget.waiters', { budget })).toBe(2);

    scheduler.flush();
    metrics = await read();
    expect(valueOf(metrics, 'smt_rx.provider.queued', { provider: 'gpu' })).toBe(0);
    expect(valueOf(metrics, 'smt_rx.provider.running', { provider: 'gpu' })).toBe(0);
    expect(valueOf(metrics, 'smt_rx.task.outcomes', { provider: 'gpu', outcome: 'succeeded' })).toBe(3);
    expect(valueOf(metrics, 'smt_rx.task.outcomes', { provider: 'gpu', outcome: 'failed' })).toBe(0);
    expect(valueOf(metrics, 'smt_rx.task.retries', { provider: 'gpu' })).toBe(1);

    // No series carries a task id, and the budget key has no credentials.
    for (const metric of metrics.values()) {
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) expect(['provider', 'budget', 'outcome']).toContain(key);
        expect(JSON.stringify(point.attributes)).not.toContain('secret');
      }
    }
  });

  it('should record queue waits and attempt durations in seconds of the manager\'s scheduler', async () => {
    const { scheduler, read } = threeTasks();
    scheduler.flush();
    const metrics = await read();
    const histogram = (name: string, attributes: Record<string, string>) => {
      const point = metrics.get(name)?.dataPoints.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes));
      const value = point?.value as { count: number; sum: number } | undefined;
      return { count: value?.count, sum: value === undefined ? undefined : Math.round(value.sum * 1000) };
    };
    expect(metrics.get('smt_rx.task.queue_wait')?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metrics.get('smt_rx.task.queue_wait')?.descriptor.unit).toBe('s');
    // Buckets in seconds, not the SDK's millisecond defaults.
    const buckets = metrics.get('smt_rx.attempt.duration')?.dataPoints[0]?.value as { buckets: { boundaries: number[] } };
    expect(buckets.buckets.boundaries.slice(0, 3)).toEqual([0.005, 0.01, 0.025]);
    // A waited 0 ms, B 100 ms, C 101 ms (the retry's wait is not a queue wait).
    expect(histogram('smt_rx.task.queue_wait', { provider: 'gpu' })).toEqual({ count: 3, sum: 201 });
    expect(histogram('smt_rx.attempt.duration', { provider: 'gpu', outcome: 'succeeded' })).toEqual({ count: 3, sum: 180 });
    expect(histogram('smt_rx.attempt.duration', { provider: 'gpu', outcome: 'failed' })).toEqual({ count: 1, sum: 1 });
  });

  /**
   * Two servers: `bad` fails every attempt after 1 ms, `good` (adaptive, AIMD from 1 up to 4) takes
   * 10 ms. Health ejects a budget after 2 failures in a row for 1 s. 20 tasks at t=0, retried.
   */
  function adaptiveFleet() {
    const scheduler = new TestScheduler(() => undefined);
    const manager = createTaskManager({
      providers: [
        defineProvider({
          name: 'gpu',
          servers: ['bad', 'good'],
          handle: (_task: Task<number>, ctx: AttemptContext) =>
            ctx.server === 'bad' ? timer(1, scheduler).pipe(mergeMap(() => throwError(() => new Error('503')))) : virtualWork(10, 'done', scheduler),
        }),
      ],
      defaultServerLimit: 2,
      adaptiveLimits: { good: { max: 4, initial: 1, algorithm: 'aimd' } },
      health: { failures: 2, ejectMs: 1_000 },
      retry: { maxRetries: 5, backoff: { initialDelayMs: 1, jitter: 'none' } },
      scheduler,
    });
    const { read } = instrumented(manager);
    for (let i = 0; i < 20; i++) manager.submit({ provider: 'gpu', payload: i });
    return { scheduler, read, manager };
  }

  it('should report adaptive limits, why they moved, and ejected budgets', async () => {
    const { scheduler, read, manager } = adaptiveFleet();
    // Up to t=500: `bad` failed twice at t=1 and is ejected until t=1,001; `good` has grown.
    scheduler.maxFrames = 500;
    scheduler.flush();
    let metrics = await read();
    const good = manager.stats().servers['good'];
    expect(good?.adaptive?.limit).toBeGreaterThan(1);
    expect(valueOf(metrics, 'smt_rx.budget.adaptive_limit', { budget: 'good' })).toBe(good?.adaptive?.limit);
    expect(valueOf(metrics, 'smt_rx.budget.limit', { budget: 'good' })).toBe(good?.adaptive?.limit);
    expect(valueOf(metrics, 'smt_rx.budget.adaptive_limit', { budget: 'bad' })).toBeUndefined();
    expect(valueOf(metrics, 'smt_rx.budget.ejected', { budget: 'bad' })).toBe(1);
    expect(valueOf(metrics, 'smt_rx.budget.limit', { budget: 'bad' })).toBe(0);
    expect(valueOf(metrics, 'smt_rx.budget.ejected', { budget: 'good' })).toBeUndefined();
    expect(valueOf(metrics, 'smt_rx.budget.ejections', { budget: 'bad', reason: 'failures' })).toBe(1);
    const ups = valueOf(metrics, 'smt_rx.budget.limit_changes', { budget: 'good', direction: 'up', reason: 'probe' });
    expect(ups).toBe((good?.adaptive?.limit ?? 0) - 1);

    // The ejection ends at t=1,001: half-open (no task left to probe it), no longer ejected.
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    scheduler.flush();
    metrics = await read();
    expect(manager.stats().servers['bad']?.health).toEqual({ state: 'half-open' });
    expect(valueOf(metrics, 'smt_rx.budget.ejected', { budget: 'bad' })).toBe(0);
    expect(valueOf(metrics, 'smt_rx.budget.restores', { budget: 'bad' })).toBeUndefined();
  });

  it('should stop reading the manager after stop()', async () => {
    const { scheduler, read, instrumentation } = threeTasks();
    instrumentation.stop();
    scheduler.flush();
    const metrics = await read();
    expect(metrics.has('smt_rx.provider.queued')).toBe(false);
    expect(metrics.has('smt_rx.attempt.duration')).toBe(false);
  });

  it('should report the cluster-wide view as its last reading while instrumented, and let go of it on stop()', async () => {
    const { meter, read, shutdown } = inMemoryMeter();
    cleanups.push(shutdown);
    const cluster = new Subject<ClusterStats>();
    const manager: ObservedManager = { stats: () => ({ providers: {}, servers: {} }), stats$: NEVER, events$: NEVER, clusterStats$: cluster };
    const instrumentation = instrument(manager, meter);
    // Nothing read yet: no point, and the collection does not wait for one.
    expect((await read()).get('smt_rx.budget.cluster.in_use')?.dataPoints ?? []).toEqual([]);
    cluster.next({ 'https://gpu-1.example.com/v1': { limit: 4, inUse: 3, waiters: 2 } });
    const metrics = await read();
    expect(valueOf(metrics, 'smt_rx.budget.cluster.in_use', { budget: 'https://gpu-1.example.com/v1' })).toBe(3);
    expect(valueOf(metrics, 'smt_rx.budget.cluster.waiters', { budget: 'https://gpu-1.example.com/v1' })).toBe(2);
    expect(cluster.observed).toBe(true);
    instrumentation.stop();
    expect(cluster.observed).toBe(false);
  });
});
