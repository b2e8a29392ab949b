import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inVirtualTime } from '../helpers/virtual.js';
import { modelArb, runModel, type Model, type TaskSpec } from './model.js';

// Property-based tests of the whole manager: random models (providers, pools, shared servers and
// prefix budgets, limits, tasks of every kind, cancels, limit and pool changes, bad and duplicate
// submissions, a shutdown in either mode at a random moment) played in virtual time, with every
// promise checked at every step (see model.ts for the list).

async function play(model: Model): Promise<string[]> {
  const result = await inVirtualTime((scheduler, flush) => runModel(model, scheduler, flush));
  return result.violations;
}

const task = (spec: Partial<TaskSpec>): TaskSpec => ({
  at: 0,
  provider: 0,
  priority: 0,
  kind: 'ok',
  duration: 1,
  failFirst: 1,
  maxRetries: undefined,
  timeoutMs: undefined,
  callbackName: undefined,
  ...spec,
});

describe('invariants under random schedules (fast-check, virtual time)', () => {
  it('should keep every promise for small random models (5-60 tasks, dense cancels, limit and pool changes, either shutdown)', async () => {
    await fc.assert(
      fc.asyncProperty(modelArb(5, 60), async (model) => {
        expect(await play(model)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('should keep every promise for large random models (100-2,000 tasks, 1-5 providers, 1-6 servers)', async () => {
    await fc.assert(
      fc.asyncProperty(modelArb(100, 2000), async (model) => {
        expect(await play(model)).toEqual([]);
      }),
      // A failure's shrinking is cut short (and still reported, with the best shrink so far)
      // rather than hitting the test timeout.
      { numRuns: 15, interruptAfterTimeLimit: 90_000 },
    );
  }, 120_000);

  // The first counter-example fast-check shrank (a drain shutdown requested before any work ran,
  // with sync, throwing, empty and retried handlers): the manager stopped with its stats$ flush
  // still booked. The focused version is in regressions.spec.ts; the replay keeps the whole model.
  it('should keep every promise in shrunk counter-example #1 (drain at t=0 over sync, throwing, empty and flaky handlers)', async () => {
    const model: Model = {
      pools: [[0]],
      servers: ['https://a.example.com/x'],
      limits: [],
      defaultLimit: 1,
      maxRetries: 0,
      backoff: { initialDelayMs: 0, jitter: 'none' },
      timeout: 'fn',
      abandonAfterMs: undefined,
      slotWaitMs: undefined,
      seed: 0,
      tasks: [task({ kind: 'ok' }), task({ kind: 'throw' }), task({ kind: 'empty', duration: 8 }), task({ kind: 'flaky' }), task({ kind: 'ok' })],
      ops: [],
      shutdown: { at: 0, mode: 'drain', graceMs: undefined },
    };
    expect(await play(model)).toEqual([]);
  });

  // Shrunk counter-example #2: a prefix limit, then an exact limit of 0 on one of its servers, then
  // a pool change to the other server, all while tasks run. The manager was right (a server draws
  // on its longest-matching limit key only); the shared InvariantChecker over-counted the prefix
  // budget with attempts that had moved to the exact key's budget. Kept as a replay.
  it('should keep every promise in shrunk counter-example #2 (a prefix limit and an exact limit of 0 regroup running servers)', async () => {
    const model: Model = {
      pools: [[5], [0]],
      servers: ['https://b.example.com/api/v1', 'https://b.example.com/api2#f', 'gpu-1', 'https://a.example.com/y?v=1', 'gpu-2', 'https://a.example.com/x'],
      limits: [],
      defaultLimit: 1,
      maxRetries: 0,
      backoff: { initialDelayMs: 0, jitter: 'none' },
      timeout: 'fn',
      abandonAfterMs: undefined,
      slotWaitMs: undefined,
      seed: 0,
      tasks: [
        ...Array.from({ length: 12 }, (_, i) => task({ kind: i === 2 ? 'ignore' : 'ok', priority: i % 3 === 0 ? 0.5 : 0, duration: 1 + (i % 5) })),
        task({ at: 1, kind: 'command' }),
      ],
      ops: [
        { at: 0, type: 'limit', key: 'https://a.example.com', limit: 2 },
        { at: 0, type: 'limit', key: 'https://a.example.com/x', limit: 0 },
        { at: 0, type: 'pool', provider: 0, servers: [3] },
      ],
      shutdown: { at: 16, mode: 'drain', graceMs: undefined },
    };
    expect(await play(model)).toEqual([]);
  });

  // Shrunk counter-example #3 (a bug in the model, kept as a replay): during a drain, cancelling
  // the last live task stops the manager inside cancel(); the result is still InterruptedRunning.
  it('should keep every promise in shrunk counter-example #3 (a cancel of the last running task during a drain stops the manager)', async () => {
    const model: Model = {
      pools: [[0], [0]],
      servers: ['gpu-1', 'gpu-2', 'https://b.example.com/api/v1', 'http://c.example.com:8080/render'],
      limits: [],
      defaultLimit: 1,
      maxRetries: 0,
      backoff: { initialDelayMs: 0, jitter: 'none' },
      timeout: 100,
      abandonAfterMs: undefined,
      slotWaitMs: undefined,
      seed: 0,
      tasks: [
        task({ at: 893, kind: 'hang', maxRetries: 3, timeoutMs: 103 }),
        task({ kind: 'flaky' }),
        task({ kind: 'ok' }),
        task({ kind: 'command' }),
        task({ kind: 'nonretryable' }),
        task({ kind: 'flaky', priority: 0.5 }),
      ],
      ops: [{ at: 1305, type: 'cancel', task: 0 }],
      shutdown: { at: 1304, mode: 'drain', graceMs: undefined },
    };
    expect(await play(model)).toEqual([]);
  });

  // Shrunk counter-example #4 (a bug in the slot broker): a retried task re-enters its queue as the
  // same record; the broker's "this head was already offered" shortcut skipped it, so a lower
  // priority task of another provider took the freed slot while it waited.
  it('should keep every promise in shrunk counter-example #4 (a retry re-entering as the head of one of five providers on one server)', async () => {
    const model: Model = {
      pools: [[0], [0], [0], [0], [0]],
      servers: ['https://b.example.com/api/v1'],
      limits: [],
      defaultLimit: 1,
      maxRetries: 0,
      backoff: { initialDelayMs: 0, jitter: 'none' },
      timeout: 'fn',
      abandonAfterMs: undefined,
      slotWaitMs: 50,
      seed: 0,
      tasks: [
        task({ at: 146, provider: 1, priority: 0.5, kind: 'throw', maxRetries: 1 }),
        task({ at: 146, kind: 'flaky', maxRetries: 0 }),
        task({ kind: 'empty' }),
        task({ kind: 'nonretryable' }),
        task({ kind: 'ignore' }),
        task({ kind: 'flaky' }),
        task({ at: 146, kind: 'ok' }),
      ],
      ops: [],
      shutdown: { at: 381, mode: 'drain', graceMs: undefined },
    };
    expect(await play(model)).toEqual([]);
  });

  it('should keep every promise when a prefix limit is removed and re-added under load, with hung and signal-ignoring handlers', async () => {
    const model: Model = {
      pools: [[0, 1], [1, 2], [2]],
      servers: ['https://a.example.com/x', 'https://a.example.com/y?v=1', 'gpu-1'],
      limits: [['https://a.example.com', 2], ['gpu-1', 1]],
      defaultLimit: 1,
      maxRetries: 1,
      backoff: { initialDelayMs: 5, jitter: 'none' },
      timeout: 100,
      abandonAfterMs: 30,
      slotWaitMs: undefined,
      seed: 1,
      tasks: Array.from({ length: 60 }, (_, i) =>
        task({ at: i * 3, provider: i % 3, priority: i % 4, kind: (['ok', 'hang', 'ignore', 'flaky', 'ok'] as const)[i % 5], duration: 10 + (i % 30) }),
      ),
      ops: [
        { at: 20, type: 'removeLimit', key: 'https://a.example.com' },
        { at: 60, type: 'limit', key: 'https://a.example.com', limit: 3 },
        { at: 90, type: 'limit', key: 'https://a.example.com/x', limit: 1 },
        { at: 120, type: 'pool', provider: 1, servers: [0] },
        { at: 130, type: 'cancel', task: 7 },
        { at: 140, type: 'limit', key: 'gpu-1', limit: 0 },
      ],
      shutdown: { at: 150, mode: 'cancel', graceMs: 200 },
    };
    expect(await play(model)).toEqual([]);
  });
});
