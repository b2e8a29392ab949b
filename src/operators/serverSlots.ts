import { isObservable, type MonoTypeOperatorFunction, type Observable, type ObservableInput, type OperatorFunction, type Subscribable, type Subscription, tap } from 'rxjs';
import { check, checkOptional, expectFunction } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import type { SlotCoordinator } from '../slots/slotCoordinator.js';
import { operate } from './operate.js';
import { subscribeToSource } from './sourceObserver.js';
import { SlotBroker, type SlotLease } from '../slots/slotBroker.js';
import { type BufferQueue, FifoQueue, type SlotQueue } from '../queues/slotQueue.js';
import { type RunHost, RunList, SlotRun } from './slotRun.js';

export interface ServerSlotsConfig<T, R> {
  /** The pool: server strings (usually URLs), fixed or as a stream of replacements. */
  readonly servers: readonly string[] | Observable<readonly string[]>;
  /**
   * Runs one item on one server slot. The slot is held until the returned input completes, errors
   * or is unsubscribed, and its teardown has run. Besides any `ObservableInput`, a bare
   * `Subscribable` (an object with `subscribe(observer)`) is accepted and subscribed as it is,
   * without an Observable around it; its handle is unsubscribed before the slot goes back, except
   * when it ends inside `subscribe` (the handle is not known yet: the slot goes back at once).
   */
  readonly work: (item: T, lease: SlotLease) => ObservableInput<R> | Subscribable<R>;
  /**
   * Shared with other `serverSlots` (one per provider) so that common servers are one budget.
   * @default a private broker over `coordinator`
   */
  readonly broker?: SlotBroker<T>;
  /** Where slots come from when no broker is given. @default localSlotCoordinator() */
  readonly coordinator?: SlotCoordinator;
  /**
   * How many slots of its server's budget an item takes at once (a positive integer; 1 when
   * absent): a big GPU job may take 2 of a server's 4. The best waiting item that does not fit
   * yet holds the budget: no other item starts there until it starts, so a heavy item never
   * starves behind light ones. An item heavier than a server's limit never runs there. Give the
   * weight to the shared broker instead (`new SlotBroker({ weightOf })`) when there is one.
   */
  readonly weight?: (item: T) => number;
}

/**
 * Runs each item on a server of the pool, never more at once on a server than its budget allows.
 *
 * <span class="informal">`mergeMap` with a semaphore per server: the concurrency is per server
 * (by normalised URL or URL prefix), shared with every pipeline that lists the server.</span>
 *
 * When an item arrives and a server has room, it starts at once on the least loaded server
 * (in-use / limit; ties in rotation). Otherwise it waits; when a slot frees, the most urgent
 * waiting item of any pipeline that lists that server takes it. No polling, no sleeping: every
 * start is caused by an arrival, a release or a configuration change.
 *
 * The slot is released exactly once: when the inner input completes or errors, or when it is
 * unsubscribed, and always after the inner subscription's teardown has run, so the next item on
 * that slot never overlaps what is left of the previous one. An inner error errors the output at
 * once and stops the other running work (the task manager's attempts never error; they emit their
 * result). The output completes when the source has completed and every started item has finished.
 *
 * The operator contract is the one `mergeMap(work, k)` keeps: without a shared queue, the pool is
 * set before the source is subscribed, so an item starts as it arrives when a slot is free (a
 * synchronous source is not drained into the wait FIFO first), and work started while the output
 * is still being subscribed stops as soon as the downstream unsubscribes (`take(n)` after a
 * synchronous inner; a generator's `finally` runs). Items that wait, wait in arrival order: for
 * priority order, use {@link prioritySlots}, which keeps them in a priority queue instead.
 *
 * ## Example
 * ```ts
 * import type { Observable } from 'rxjs';
 * import { serverSlots } from 'smt-rx/operators';
 * import { localSlotCoordinator } from 'smt-rx';
 *
 * declare const prompts$: Observable<string>;
 * const coordinator = localSlotCoordinator({ limits: { 'https://gpu-1.example.com': 2 } });
 * prompts$.pipe(
 *   serverSlots({
 *     servers: ['https://gpu-1.example.com', 'https://gpu-2.example.com'],
 *     coordinator,
 *     work: (prompt, { server }) => fetch(`${server}/generate`, { method: 'POST', body: prompt }),
 *   }),
 * ).subscribe(console.log);
 * ```
 *
 * @see {@link prioritySlots}
 *
 * @param config The pool, the work, and optionally a shared broker.
 * @returns An operator that emits the values of each item's work.
 */
export function serverSlots<T, R>(config: ServerSlotsConfig<T, R>): OperatorFunction<T, R> {
  checkSlotsConfig(config);
  if ((config as { queue?: unknown }).queue !== undefined) {
    throw new InvalidOptionError('queue', 'absent here: items that wait in a priority queue go through prioritySlots({ queue })', (config as { queue?: unknown }).queue);
  }
  return withWeightCheck(config, slotsOver(config, undefined));
}

/**
 * Items whose `weight` is not a positive integer error the output with a typed error. A shared
 * broker's `weightOf` is trusted (the task manager checks weights at submit). @internal
 */
export function withWeightCheck<T, R>(config: ServerSlotsConfig<T, R>, slots: OperatorFunction<T, R>): OperatorFunction<T, R> {
  const weightOf = config.weight;
  return weightOf === undefined ? slots : (source) => slots(source.pipe(checkWeights(weightOf)));
}

function checkWeights<T>(weightOf: (item: T) => number): MonoTypeOperatorFunction<T> {
  return tap((item) => {
    const weight = weightOf(item);
    if (!(Number.isInteger(weight) && weight >= 1)) throw new InvalidOptionError('weight', 'a positive integer', weight);
  });
}

/** Checks what serverSlots and prioritySlots share. @internal */
export function checkSlotsConfig<T, R>(config: ServerSlotsConfig<T, R>): void {
  if (config === null || typeof config !== 'object') {
    throw new InvalidOptionError('config', 'an object with `servers` and `work`', config);
  }
  check('work', config.work, expectFunction);
  checkServers(config.servers);
  checkOptional('broker', config.broker, (v) => (v instanceof SlotBroker ? undefined : 'a SlotBroker'));
  checkOptional('weight', config.weight, expectFunction);
  if (config.weight !== undefined && config.broker !== undefined) {
    throw new InvalidOptionError('weight', 'absent when a broker is given: pass weightOf to the SlotBroker', config.weight);
  }
  if (config.weight !== undefined && config.coordinator !== undefined && config.coordinator.countsWeights !== true) {
    throw new InvalidOptionError('weight', 'absent: the coordinator does not count weights (countsWeights)', config.weight);
  }
}

/**
 * The operator itself: items wait in `sharedQueue` (filled upstream by prioritySlots' buffer),
 * or in a FIFO of its own. @internal
 */
export function slotsOver<T, R>(config: ServerSlotsConfig<T, R>, sharedQueue: BufferQueue<T> | undefined): OperatorFunction<T, R> {
  const { work } = config;

  return operate<T, R>((source, subscriber) => {
    const broker = config.broker ?? new SlotBroker<T>({ coordinator: config.coordinator, weightOf: config.weight });
    const ownQueue = sharedQueue === undefined ? new FifoQueue<T>() : undefined;
    const queue: SlotQueue<T> = sharedQueue ?? (ownQueue as FifoQueue<T>);
    const running = new RunList<R>();
    let sourceDone = false;
    let closed = false;
    let sourceSubscription: Subscription | undefined;
    let serversSubscription: Subscription | undefined;

    const completeIfIdle = (): void => {
      if (!closed && sourceDone && running.size === 0 && queue.size === 0) subscriber.complete();
    };
    const host: RunHost<R> = {
      next: (value) => subscriber.next(value),
      fail: (error) => subscriber.error(error),
      finished: (run) => {
        running.delete(run);
        broker.release(run.lease);
        completeIfIdle();
      },
    };

    const start = (item: T, lease: SlotLease): void => {
      if (closed) {
        broker.release(lease);
        return;
      }
      const run = new SlotRun(host, lease);
      running.add(run);
      try {
        // The run is the subscriber itself: no wrapper objects per item.
        run.subscribeTo(work(item, lease));
      } catch (error) {
        run.error(error);
      }
      run.started();
    };

    const member = broker.join(queue, start);
    const disconnect = ownQueue?.connect((item) => {
      const lease = member.pending;
      member.pending = undefined;
      if (lease !== undefined) start(item, lease);
    });

    // Registered before anything can start: work that makes the downstream unsubscribe while this
    // function still runs (a synchronous inner followed by take) is stopped at once, as in mergeMap.
    subscriber.add(() => {
      closed = true;
      // Leave first: the slots released below go to other pipelines, never to this one's waiting items.
      broker.leave(member);
      disconnect?.();
      sourceSubscription?.unsubscribe();
      serversSubscription?.unsubscribe();
      running.cancelAll();
      if (config.broker === undefined) broker.dispose();
    });

    const watchServers = (): void => {
      if (Array.isArray(config.servers)) {
        broker.setServers(member, config.servers);
        return;
      }
      const subscription = (config.servers as Observable<readonly string[]>).subscribe({
        next: (servers) => broker.setServers(member, servers),
        error: (error) => subscriber.error(error),
      });
      if (closed) subscription.unsubscribe();
      else serversSubscription = subscription;
    };

    const subscribeSource = (): void => {
      sourceSubscription = subscribeToSource(source, subscriber, {
        next: (item) => {
          if (ownQueue !== undefined) {
            ownQueue.push(item);
            return;
          }
          // Pulled by the broker through the shared queue: the lease is waiting for this item.
          const lease = member.pending;
          member.pending = undefined;
          if (lease === undefined) {
            subscriber.error(
              new TypeError('serverSlots: an item arrived without a slot; feed it through prioritySlots({ queue })'),
            );
            return;
          }
          start(item, lease);
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          completeIfIdle();
        },
      });
    };

    if (ownQueue !== undefined) {
      // Servers first: each item starts as it arrives when a slot is free, instead of after a
      // synchronous source has been drained into the FIFO (and an endless one never is).
      watchServers();
      if (!closed) subscribeSource();
    } else {
      // Servers last: the consumer of the shared queue (priorityBuffer upstream) is connected by
      // now, so items already waiting in it can be pulled as soon as there are slots. A source
      // that already errored or completed needs no servers.
      subscribeSource();
      if (!closed) watchServers();
    }
    return undefined;
  });
}

function checkServers(servers: unknown): void {
  if (Array.isArray(servers)) {
    servers.forEach((server, i) => {
      if (typeof server !== 'string' || server.length === 0) {
        throw new InvalidOptionError(`servers[${i}]`, 'a non-empty string', server);
      }
    });
    return;
  }
  if (!isObservable(servers)) throw new InvalidOptionError('servers', 'an array of strings or an Observable of arrays', servers);
}
