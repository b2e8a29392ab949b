import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Timeline, type TimelineEntry, type TimelineTarget } from '../../src/internal/timeline.js';

/** A TestScheduler that counts clock reads and scheduled actions (the two costs a timeline saves). */
function countingScheduler() {
  const virtual = new TestScheduler(() => undefined);
  const counts = { reads: 0, scheduled: 0, cancelled: 0 };
  const scheduler: SchedulerLike = {
    now: () => {
      counts.reads++;
      return virtual.now();
    },
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      counts.scheduled++;
      const action = virtual.schedule(work, delay, state);
      const unsubscribe = action.unsubscribe.bind(action);
      action.unsubscribe = () => {
        if (!action.closed) counts.cancelled++;
        unsubscribe();
      };
      return action;
    },
  };
  return { scheduler, virtual, counts };
}

const recorder = (log: string[], now: () => number): TimelineTarget => ({
  onTime(entry: TimelineEntry) {
    log.push(`${entry.kind}@${now()}`);
  },
});

describe('Timeline', () => {
  it('should fire booked times in time order, skip cancelled ones, and use one scheduled action at a time', () => {
    const { scheduler, virtual, counts } = countingScheduler();
    const timeline = new Timeline(scheduler);
    const log: string[] = [];
    const target = recorder(log, () => virtual.now());
    timeline.after(30, target, 3);
    timeline.after(10, target, 1);
    const cancelled = timeline.after(20, target, 2);
    timeline.after(10, target, 4);
    timeline.cancel(cancelled);
    virtual.flush();
    expect(log).toEqual(['1@10', '4@10', '3@30']);
    // Armed at 30, re-armed earlier at 10 (the 30 action dropped), then once more for 30.
    expect(counts.scheduled).toBe(3);
    expect(timeline.size).toBe(0);
    expect(virtual.actions).toHaveLength(0);
  });

  it('should drop its scheduled action as soon as nothing is booked, so an idle process can exit', () => {
    const { scheduler, virtual, counts } = countingScheduler();
    const timeline = new Timeline(scheduler);
    const entry = timeline.after(60_000, recorder([], () => 0));
    expect(virtual.actions).toHaveLength(1);
    timeline.cancel(entry);
    expect(counts.cancelled).toBe(1);
    expect(virtual.actions.filter((a) => !a.closed)).toHaveLength(0);
  });

  it('should keep its timer through an instant that cancels one time and books the next (a serial pipeline)', () => {
    const { scheduler, virtual, counts } = countingScheduler();
    const timeline = new Timeline(scheduler);
    const target = recorder([], () => 0);
    let entry = timeline.after(60_000, target);
    for (let i = 0; i < 1_000; i++) {
      timeline.begin();
      timeline.cancel(entry);
      entry = timeline.after(60_000, target);
      timeline.end();
    }
    expect(counts.scheduled).toBe(1);
    expect(counts.cancelled).toBe(0);
    // Cancelled entries do not pile up while the timeline is never empty at an instant's end.
    expect(timeline.held).toBeLessThanOrEqual(66);
    // An instant that leaves nothing booked drops the timer at its end, not before.
    timeline.begin();
    timeline.cancel(entry);
    expect(counts.cancelled).toBe(0);
    timeline.end();
    expect(counts.cancelled).toBe(1);
    expect(timeline.held).toBe(0);
    expect(virtual.actions.filter((a) => !a.closed)).toHaveLength(0);
  });

  it('should read the clock once per instant, again after stale(), and on every call outside one', () => {
    const { scheduler, counts } = countingScheduler();
    const timeline = new Timeline(scheduler);
    timeline.now();
    timeline.now();
    expect(counts.reads).toBe(2);
    timeline.begin();
    timeline.now();
    timeline.begin(); // nested: still the same instant
    timeline.now();
    timeline.end();
    timeline.now();
    expect(counts.reads).toBe(3);
    timeline.stale(); // a handler ran: time may have passed
    timeline.now();
    timeline.now();
    expect(counts.reads).toBe(4);
    timeline.end();
    timeline.now();
    expect(counts.reads).toBe(5);
  });

  it('should fire everything due at one time as one instant', () => {
    const { scheduler, virtual, counts } = countingScheduler();
    const timeline = new Timeline(scheduler);
    const seen: number[] = [];
    const target: TimelineTarget = { onTime: () => seen.push(timeline.now()) };
    for (let i = 0; i < 5; i++) timeline.after(7, target);
    const readsBefore = counts.reads;
    virtual.flush();
    expect(seen).toEqual([7, 7, 7, 7, 7]);
    expect(counts.reads - readsBefore).toBe(1);
  });
});
