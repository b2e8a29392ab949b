import { Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/errors/TaskTimeoutError.js';
import { type Clock, schedulerClock } from '../../src/internal/clock.js';
import { Timeline } from '../../src/internal/timeline.js';
import { DeadlineGrace } from '../../src/operators/deadlineGrace.js';

// DeadlineGrace is the one deadline-then-grace state machine of `attemptTimeout` and of the task
// manager's attempts. Its hooks are drawn as letters: v the work's value, e its error, t the
// timeout decided, a the work asked to stop, x abandoned, s settled. The output never completes,
// so a time left booked after the attempt ended would show as a late letter.

interface Plan {
  readonly timeoutMs: number;
  readonly graceMs: number;
  /** Its completion or error is the work settling. */
  readonly work: Observable<unknown>;
  /** Each value stops the attempt from outside (a cancel). */
  readonly stop?: Observable<unknown>;
  /** Counts the deadline from this long ago. */
  readonly startedMsAgo?: number;
}

/** Every hook call with its time, heard even after the output was unsubscribed. */
type Log = string[];

class Probe<H> extends DeadlineGrace<H> {
  readonly server = 'https://a.example.com';
  readonly reasons: unknown[] = [];

  constructor(
    readonly theClock: Clock<H>,
    readonly out: Subscriber<string>,
    readonly log: Log,
  ) {
    super();
  }

  protected get clock(): Clock<H> {
    return this.theClock;
  }

  protected get taskId(): string {
    return 'task-1';
  }

  start(from?: number): void {
    this.startDeadline(from);
  }

  #hear(letter: string): void {
    this.log.push(`${letter}@${this.theClock.now()}`);
    this.out.next(letter);
  }

  protected onDecided(ok: boolean, valueOrError: unknown): void {
    this.reasons.push(valueOrError);
    this.#hear(ok ? 'v' : valueOrError instanceof TaskTimeoutError ? 't' : 'e');
  }

  protected onAbortRequested(reason: unknown): void {
    this.reasons.push(reason);
    this.#hear('a');
    this.holdUntilSettled();
  }

  protected onAbandoned(): void {
    this.#hear('x');
  }

  protected onSettled(): void {
    this.#hear('s');
  }
}

const clocks: ReadonlyArray<[string, (scheduler: SchedulerLike) => Clock<unknown>]> = [
  ['a scheduler (attemptTimeout)', (scheduler) => schedulerClock(scheduler)],
  ["a task manager's Timeline", (scheduler) => new Timeline(scheduler)],
];

describe.each(clocks)('DeadlineGrace on %s', (_name, makeClock) => {
  let testScheduler: TestScheduler;
  let log: Log;
  let probes: Array<Probe<unknown>>;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    log = [];
    probes = [];
  });

  /** One attempt per subscription; unsubscribing lets go of it (`release`). */
  function attempt(plan: Plan): Observable<string> {
    return new Observable<string>((out) => {
      const probe = new Probe(makeClock(testScheduler), out, log);
      probe.timeoutMs = plan.timeoutMs;
      probe.graceMs = plan.graceMs;
      probes.push(probe);
      const work = plan.work.subscribe({ error: (e: unknown) => probe.finish(false, e), complete: () => probe.finish(true, 'value') });
      const stop = plan.stop?.subscribe(() => probe.requestAbort(new Error('cancelled')));
      probe.start(plan.startedMsAgo === undefined ? undefined : testScheduler.now() - plan.startedMsAgo);
      return () => {
        probe.release();
        work.unsubscribe();
        stop?.unsubscribe();
      };
    });
  }

  it('should settle with the work’s value before the deadline and book nothing more', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 3, work: cold('--|') })).toBe('--(vs)');
    });
    expect(log).toEqual(['v@2', 's@2']);
  });

  it('should settle with the work’s error before the deadline', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 3, work: cold('----#') })).toBe('----(es)');
    });
  });

  it('should decide the timeout at the deadline, ask the work to stop, and settle when it does within the grace', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // The work completes at 12, after its deadline (5) and before the grace ends (15): its value is ignored.
      expectObservable(attempt({ timeoutMs: 5, graceMs: 10, work: cold('------------|') })).toBe('-----(ta)---s');
    });
  });

  it('should abandon work that has not settled when the grace is over, then settle', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 4, work: cold('-') })).toBe('-----(ta)(xs)');
    });
    expect(log).toEqual(['t@5', 'a@5', 'x@9', 's@9']);
  });

  it('should wait as long as the work takes with graceMs Infinity', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: Infinity, work: cold('30ms |') })).toBe('5ms (ta) 21ms s');
    });
    expect(log).toEqual(['t@5', 'a@5', 's@30']);
  });

  it('should abandon at the deadline with graceMs 0', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 0, work: cold('-') })).toBe('-----(taxs)');
    });
  });

  it('should never time out with timeoutMs Infinity', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: Infinity, graceMs: 0, work: cold('100ms |') })).toBe('100ms (vs)');
    });
  });

  it('should count the deadline from the start it is given', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 0, work: cold('-'), startedMsAgo: 2 })).toBe('---(taxs)');
    });
  });

  it('should cancel the deadline when stopped from outside, then hold for the grace', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Stopped at 2: no timeout at 5 (the stop decided the attempt); the grace runs from 2.
      expectObservable(attempt({ timeoutMs: 5, graceMs: 4, work: cold('-'), stop: cold('--s') })).toBe('--a---(xs)');
    });
    expect(probes[0]!.timedOut).toBe(false);
  });

  it('should settle at once when work stopped from outside settles before the grace is over', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 4, work: cold('---|'), stop: cold('--s') })).toBe('--as');
    });
  });

  it('should hear a stop from outside only once, and none after the timeout', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 10, work: cold('---------|'), stop: cold('------s-s') })).toBe('-----(ta)s');
    });
  });

  it('should book nothing more once let go (unsubscribed), in the deadline or in the grace', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 4, work: cold('-') }), '---!').toBe('---');
      expectObservable(attempt({ timeoutMs: 5, graceMs: 4, work: cold('-') }), '-------!').toBe('-----(ta)');
    });
    // Nothing after the let-go: no timeout at 5 for the first, no abandon at 9 for the second.
    expect(log).toEqual(['t@5', 'a@5']);
    expect(probes.every((probe) => probe.settled)).toBe(true);
  });

  it('should decide and ask to stop with one TaskTimeoutError naming the task, the server and the timeout', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(attempt({ timeoutMs: 5, graceMs: 0, work: cold('-') })).toBe('-----(taxs)');
    });
    const [decided, reason] = probes[0]!.reasons;
    expect(decided).toBe(reason);
    expect(decided).toEqual(new TaskTimeoutError('task-1', 'https://a.example.com', 5));
    expect(probes[0]!.timedOut).toBe(true);
  });
});

describe('DeadlineGrace on a Timeline', () => {
  it('should leave the timeline empty once every attempt has ended', () => {
    const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const timeline = new Timeline(testScheduler);
    const ends: number[] = [];
    testScheduler.run(() => {
      for (const settleAt of [2, 8, 14]) {
        const probe = new Probe(timeline, { next: () => undefined } as unknown as Subscriber<string>, []);
        probe.timeoutMs = 5;
        probe.graceMs = 10;
        probe.start();
        testScheduler.schedule(() => {
          probe.finish(true, 'value');
          ends.push(timeline.size);
        }, settleAt);
      }
    });
    // The first settles in time (its deadline cancelled), the others within their grace.
    expect(ends).toEqual([2, 1, 0]);
  });
});
