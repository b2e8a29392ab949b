import type { Subscription } from 'rxjs';

/** Where this process stands on one budget in Redis. @internal */
export class BudgetDemand {
  /** An acquire script call is on its way. */
  inFlight = false;
  /** This instance is in the budget's queue in Redis (its last answer was "wait"). */
  waiting = false;
  /** tryAcquire asked for the budget since the last probe began. */
  demanded = false;
  /** A probe asked the broker: its answer must reach Redis even while queued. */
  probing = false;
  /** A wake-up named this instance while a call was on its way: ask again after the answer. */
  woken = false;
  /** The budget's epoch key existed at the last answer, so a missing one later means data loss. */
  seen = false;
  /** The weight tryAcquire asked for last, and the weight the last acquire call asked Redis for. */
  weight = 1;
  askedWeight = 1;
  /** No pool draws on the budget any more: dropped once no call is on its way. */
  forgotten = false;
  /** Until when (scheduler clock) the start rate refuses this process's place: `budget().blocked`. */
  rateOpensAt = -Infinity;
  /** Granted leases not yet taken by tryAcquire. Only non-empty during an offer. */
  readonly spare: string[] = [];
  /** The safety-net poll, its due time (scheduler clock) and how many fired since it queued. */
  poll: Subscription | undefined = undefined;
  pollDue = Infinity;
  pollRound = 0;

  cancelPoll(): void {
    this.poll?.unsubscribe();
    this.poll = undefined;
    this.pollDue = Infinity;
  }
}
