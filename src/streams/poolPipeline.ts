import { BehaviorSubject, type Subscription } from 'rxjs';
import { Multicast } from '../internal/multicast.js';
import { LevelQueue, type Ranked } from '../queues/levelQueue.js';

/**
 * The pipeline of one or more providers with the same pool: the task and command streams they
 * feed, the priority queue those are merged into, the pool, and the subscription that runs it
 * (`prioritySlots` over the broker). Providers of one pool share one (see Pipelines): a thousand
 * providers then cost the broker what one does, instead of a queue, a member and a bid each.
 * @internal
 */
export class PoolPipeline<T extends Ranked> {
  // Multicasts, not Subjects: a Subject's `next` allocates a closure and an iterator per value,
  // and every submission (and every retry) goes through one of these.
  readonly tasks$ = new Multicast<T>();
  readonly commands$ = new Multicast<T>();
  readonly queue = new LevelQueue<T>();
  readonly servers$: BehaviorSubject<readonly string[]>;
  subscription: Subscription | undefined = undefined;
  /** How many providers feed it. */
  lanes = 1;

  constructor(
    servers: readonly string[],
    /** The key other providers of this pool join it by; undefined once it is one provider's own. */
    public joinKey: string | undefined,
  ) {
    this.servers$ = new BehaviorSubject<readonly string[]>(servers);
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.tasks$.complete();
    this.commands$.complete();
    this.servers$.complete();
  }
}

/** What providers with this pool share a pipeline by. */
export const poolKey = (servers: readonly string[]): string => JSON.stringify(servers);
