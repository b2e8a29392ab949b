import type { Histogram, Meter } from '@opentelemetry/api';
import type { TaskEvent } from '../types.js';

/** Where one task is: when it was queued (until its first attempt starts) and when its running attempt started. */
interface TaskTimes {
  queuedAt: number | undefined;
  startedAt: number | undefined;
}

/** Seconds: the SDK's default buckets (0 to 10,000) are made for milliseconds. */
const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** How an attempt ended, as the `outcome` attribute of the attempt duration. */
const attemptEnds = { retrying: 'failed', failed: 'failed', succeeded: 'succeeded', cancelled: 'cancelled' } as const;

/**
 * The histograms read from `events$`: queue wait (queued → first attempt started) and attempt
 * duration (started → the attempt's end), in seconds of the manager's scheduler. Keeps the two
 * times of each live task, forgotten at its outcome; task ids never reach an attribute.
 */
export function timingRecorder(meter: Meter, prefix: string): (event: TaskEvent) => void {
  const queueWait: Histogram = meter.createHistogram(`${prefix}.task.queue_wait`, {
    description: 'Time from submission to the start of the first attempt',
    unit: 's',
    advice: { explicitBucketBoundaries: secondsBuckets },
  });
  const attemptDuration: Histogram = meter.createHistogram(`${prefix}.attempt.duration`, {
    description: 'Time from the start of an attempt to its end, by how it ended (succeeded, failed, cancelled)',
    unit: 's',
    advice: { explicitBucketBoundaries: secondsBuckets },
  });
  const live = new Map<string, TaskTimes>();

  return (event) => {
    if (event.type === 'queued') {
      live.set(event.id, { queuedAt: event.at, startedAt: undefined });
      return;
    }
    const times = live.get(event.id);
    if (times === undefined) return; // queued before the instrumentation began
    if (event.type === 'started') {
      if (times.queuedAt !== undefined) queueWait.record((event.at - times.queuedAt) / 1000, { provider: event.provider });
      times.queuedAt = undefined;
      times.startedAt = event.at;
      return;
    }
    if (event.type === 'retrying' || event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled') {
      if (times.startedAt !== undefined) {
        attemptDuration.record((event.at - times.startedAt) / 1000, { provider: event.provider, outcome: attemptEnds[event.type] });
      }
      times.startedAt = undefined;
    }
    if (event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled') live.delete(event.id);
  };
}
