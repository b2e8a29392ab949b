import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** What a booked time tells its target: which of the target's times came (a target may book several). */
export interface ClockTick {
  readonly kind: number;
}

/** Something a clock calls back when a booked time comes. */
export interface ClockTarget {
  onTime(tick: ClockTick): void;
}

/**
 * Where timed state machines book their times: a deadline, a grace period, a retry's backoff.
 * Booking takes a target object and a kind rather than a callback, so a machine that books its
 * times on itself costs no closure per booking. Two clocks: a `SchedulerLike` for the public
 * operators (`schedulerClock`), and a task manager's `Timeline` (one timer for all its times).
 * @internal
 */
export interface Clock<H> {
  now(): number;
  /** Books `target.onTime({ kind })` for `delayMs` after `from` (default: now). */
  after(delayMs: number, target: ClockTarget, kind: number, from?: number): H;
  /** Cancels a booked time that has not come yet; `undefined` and a time that came are ignored. */
  cancel(handle: H | undefined): void;
}

interface Booking extends ClockTick {
  readonly target: ClockTarget;
}

// Like rxjs's executeSchedule: a one-off action closes itself once it has run.
function fire(this: SchedulerAction<Booking>, booking?: Booking): void {
  try {
    booking?.target.onTime(booking);
  } finally {
    this.unsubscribe();
  }
}

/** Each booking is one scheduled action, cancelled by unsubscribing it. */
class SchedulerClock implements Clock<Subscription> {
  constructor(readonly scheduler: SchedulerLike) {}

  now(): number {
    return this.scheduler.now();
  }

  after(delayMs: number, target: ClockTarget, kind: number, from?: number): Subscription {
    const delay = from === undefined ? delayMs : Math.max(0, from + delayMs - this.scheduler.now());
    return this.scheduler.schedule(fire, delay, { target, kind });
  }

  cancel(handle: Subscription | undefined): void {
    handle?.unsubscribe();
  }
}

/** A clock over an rxjs scheduler (virtual time under a `TestScheduler`). @internal */
export function schedulerClock(scheduler: SchedulerLike): Clock<Subscription> {
  return new SchedulerClock(scheduler);
}
