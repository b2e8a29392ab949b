import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { finalize, lastValueFrom, NEVER, of, Subject, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTaskManager, localSlotCoordinator, type SlotCoordinator, type TaskEvent, type TaskManager, type TaskManagerOptions } from '../../src/index.js';
import { attemptTimeout, backoffDelay, priorityBuffer, prioritySlots, PullQueue, resolveBackoff, retryWithBackoff, serverSlots } from '../../src/operators/index.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

// Every bad input is refused at the boundary with the typed rejection or the TypeError that API.md
// names (the message names the field), nothing is queued or lost, and the manager goes on working:
// after each bad call, a good task still succeeds on the server it always used.

const long = (n: number): string => 'x'.repeat(n);

/** One manager shared by every case: bad calls must not wear it down. */
function makeManager(): { m: TaskManager; events: TaskEvent[]; coordinator: SlotCoordinator } {
  const coordinator = localSlotCoordinator({ limits: { 'https://api.example.com': 2 }, defaultLimit: 1 });
  const m = createTaskManager({
    coordinator,
    providers: [
      { name: 'p', servers: ['https://api.example.com/v1'], handle: (task) => ({ echoed: task.payload }) },
      // Holds one live task for the whole file, so a duplicate id has something to collide with.
      { name: 'slow', servers: ['slow-1'], handle: () => NEVER },
    ],
  });
  const events: TaskEvent[] = [];
  m.events$.subscribe((e) => events.push(e));
  return { m, events, coordinator };
}

const { m, events, coordinator } = makeManager();
const blocker = m.submit({ provider: 'slow', payload: 'live', id: 'live', timeoutMs: Infinity });

afterAll(async () => {
  // The live task was never disturbed by any bad call: it is still running, and cancels once.
  expect(m.cancel('live')).toEqual({ _tag: 'InterruptedRunning', server: 'slow-1' });
  await m.shutdown();
});

/** The manager still works, on the same pool and limits, and nothing was queued or emitted by the bad call. */
async function expectStillWorking(statsBefore: ReturnType<TaskManager['stats']>, eventsBefore: number): Promise<void> {
  expect(events.length).toBe(eventsBefore); // the bad call emitted nothing
  expect(m.stats()).toEqual(statsBefore); // nothing queued, nothing counted, limits unchanged
  const outcome = await m.run({ provider: 'p', payload: 'good' });
  expect(outcome).toMatchObject({ _tag: 'Succeeded', value: { echoed: 'good' }, server: 'https://api.example.com/v1', attempts: 1 });
}

type Bad = readonly [name: string, input: unknown, field: string];

describe('bad input: submit() refuses every wrong TaskInput field with InvalidTask naming it', () => {
  const cases: Bad[] = [
    ['the input is null', null, 'input'],
    ['the input is a number', 42, 'input'],
    ['the input is a string', 'task', 'input'],
    ['provider is missing', { payload: 1 }, 'provider'],
    ['provider is a number', { provider: 42, payload: 1 }, 'provider'],
    ['provider is empty', { provider: '', payload: 1 }, 'provider'],
    ['provider is 257 characters long', { provider: long(257), payload: 1 }, 'provider'],
    ['id is empty', { provider: 'p', payload: 1, id: '' }, 'id'],
    ['id is a number', { provider: 'p', payload: 1, id: 42 }, 'id'],
    ['id is null', { provider: 'p', payload: 1, id: null }, 'id'],
    ['id is an object', { provider: 'p', payload: 1, id: {} }, 'id'],
    ['id is 1,025 characters long', { provider: 'p', payload: 1, id: long(1025) }, 'id'],
    ['priority is NaN', { provider: 'p', payload: 1, priority: NaN }, 'priority'],
    ['priority is Infinity', { provider: 'p', payload: 1, priority: Infinity }, 'priority'],
    ['priority is -Infinity', { provider: 'p', payload: 1, priority: -Infinity }, 'priority'],
    ['priority is a numeric string', { provider: 'p', payload: 1, priority: '1' }, 'priority'],
    ['priority is null', { provider: 'p', payload: 1, priority: null }, 'priority'],
    ['priority is a bigint', { provider: 'p', payload: 1, priority: 1n }, 'priority'],
    ['maxRetries is negative', { provider: 'p', payload: 1, maxRetries: -1 }, 'maxRetries'],
    ['maxRetries is a fraction', { provider: 'p', payload: 1, maxRetries: 1.5 }, 'maxRetries'],
    ['maxRetries is NaN', { provider: 'p', payload: 1, maxRetries: NaN }, 'maxRetries'],
    ['maxRetries is Infinity', { provider: 'p', payload: 1, maxRetries: Infinity }, 'maxRetries'],
    ['maxRetries is a string', { provider: 'p', payload: 1, maxRetries: '2' }, 'maxRetries'],
    ['timeoutMs is 0', { provider: 'p', payload: 1, timeoutMs: 0 }, 'timeoutMs'],
    ['timeoutMs is negative', { provider: 'p', payload: 1, timeoutMs: -5 }, 'timeoutMs'],
    ['timeoutMs is NaN', { provider: 'p', payload: 1, timeoutMs: NaN }, 'timeoutMs'],
    ['timeoutMs is -Infinity', { provider: 'p', payload: 1, timeoutMs: -Infinity }, 'timeoutMs'],
    ['timeoutMs is a string', { provider: 'p', payload: 1, timeoutMs: '100' }, 'timeoutMs'],
    ['callbackName is a number', { provider: 'p', payload: 1, callbackName: 42 }, 'callbackName'],
    ['callbackName is null', { provider: 'p', payload: 1, callbackName: null }, 'callbackName'],
  ];

  it.each(cases)('should refuse a task whose %s (field %s), queue nothing, and keep working', async (_name, input, field) => {
    const before = m.stats();
    const eventsBefore = events.length;
    const r = m.submit(input as never);
    expect(isLeft(r)).toBe(true);
    if (isLeft(r)) {
      expect(r.left).toMatchObject({ _tag: 'InvalidTask', field });
      expect((r.left as { message: string }).message).toContain(`\`${field}\``);
    }
    await expectStillWorking(before, eventsBefore);
  });

  it.each([
    ['__proto__', { provider: '__proto__', payload: 1 }],
    ['constructor', { provider: 'constructor', payload: 1 }],
    ['toString', { provider: 'toString', payload: 1 }],
    ['nope', { provider: 'nope', payload: 1 }],
  ])('should refuse the unknown provider %s with UnknownProvider, and keep working', async (provider, input) => {
    const before = m.stats();
    const eventsBefore = events.length;
    expect(m.submit(input)).toEqual({ _tag: 'Left', left: { _tag: 'UnknownProvider', provider } });
    await expect(m.run(input)).rejects.toMatchObject({ name: 'SubmitRejectedError', rejection: { _tag: 'UnknownProvider', provider } });
    await expectStillWorking(before, eventsBefore);
  });

  it('should refuse a duplicate id of a live task with DuplicateId and leave the live task alone', async () => {
    expect(isRight(blocker)).toBe(true);
    const before = m.stats();
    const eventsBefore = events.length;
    expect(m.submit({ provider: 'p', payload: 1, id: 'live' })).toEqual({ _tag: 'Left', left: { _tag: 'DuplicateId', id: 'live' } });
    expect(m.command('p', () => 1, { id: 'live' })).toEqual({ _tag: 'Left', left: { _tag: 'DuplicateId', id: 'live' } });
    await expectStillWorking(before, eventsBefore);
    expect(m.stats().providers['slow']).toMatchObject({ running: 1, cancelled: 0 });
  });
});

describe('bad input: command() refuses a wrong function or option with InvalidTask naming it', () => {
  const cases: Array<readonly [string, unknown, unknown, string]> = [
    ['fn is not a function', 'run', {}, 'fn'],
    ['options is null', () => 1, null, 'options'],
    ['options.timeoutMs is 0', () => 1, { timeoutMs: 0 }, 'timeoutMs'],
    ['options.timeoutMs is NaN', () => 1, { timeoutMs: NaN }, 'timeoutMs'],
    ['options.maxRetries is negative', () => 1, { maxRetries: -1 }, 'maxRetries'],
    ['options.maxRetries is a fraction', () => 1, { maxRetries: 0.5 }, 'maxRetries'],
    ['options.id is empty', () => 1, { id: '' }, 'id'],
  ];
  it.each(cases)('should refuse a command whose %s, and keep working', async (_name, fn, options, field) => {
    const before = m.stats();
    const eventsBefore = events.length;
    const r = m.command('p', fn as never, options as never);
    expect(isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidTask', field });
    expect(isLeft(r) && (r.left as { message: string }).message).toContain(`\`${field}\``);
    await expectStillWorking(before, eventsBefore);
  });
});

describe('bad input: setServerLimit / removeServerLimit throw a TypeError naming the argument', () => {
  const cases: Array<readonly [string, () => void, string]> = [
    ['an empty key', () => m.setServerLimit('', 2), 'serverOrPrefix'],
    ['a number as key', () => m.setServerLimit(42 as never, 2), 'serverOrPrefix'],
    ['a 2,049-character key', () => m.setServerLimit(`https://h.example.com/${long(2030)}`, 2), 'serverOrPrefix'],
    ['a negative limit', () => m.setServerLimit('https://api.example.com', -1), 'limit'],
    ['a fractional limit', () => m.setServerLimit('https://api.example.com', 1.5), 'limit'],
    ['a NaN limit', () => m.setServerLimit('https://api.example.com', NaN), 'limit'],
    ['a -Infinity limit', () => m.setServerLimit('https://api.example.com', -Infinity), 'limit'],
    ['a string limit', () => m.setServerLimit('https://api.example.com', '3' as never), 'limit'],
    ['removeServerLimit with an empty key', () => m.removeServerLimit(''), 'serverOrPrefix'],
    ['removeServerLimit with a non-string key', () => m.removeServerLimit(null as never), 'serverOrPrefix'],
  ];
  it.each(cases)('should refuse %s, keep the limits in force, and keep working', async (_name, call, field) => {
    const before = m.stats();
    const eventsBefore = events.length;
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`\`${field}\``);
    expect([...coordinator.limits()]).toEqual([['https://api.example.com/', 2]]);
    await expectStillWorking(before, eventsBefore);
  });
});

describe('bad input: updateProviderServers refuses with UnknownProvider or InvalidConfig and keeps the pool', () => {
  const cases: Array<readonly [string, unknown, unknown, Record<string, unknown>]> = [
    ['an unknown provider', 'nope', ['a'], { _tag: 'UnknownProvider', provider: 'nope' }],
    ['the provider __proto__', '__proto__', ['a'], { _tag: 'UnknownProvider', provider: '__proto__' }],
    ['the provider constructor', 'constructor', ['a'], { _tag: 'UnknownProvider', provider: 'constructor' }],
    ['a non-string provider', 42, ['a'], { _tag: 'UnknownProvider', provider: 42 }],
    ['a string instead of a list', 'p', 'https://other.example.com', { _tag: 'InvalidConfig', field: 'servers' }],
    ['null instead of a list', 'p', null, { _tag: 'InvalidConfig', field: 'servers' }],
    ['an empty server', 'p', [''], { _tag: 'InvalidConfig', field: 'servers[0]' }],
    ['a non-string server', 'p', ['https://other.example.com', 42], { _tag: 'InvalidConfig', field: 'servers[1]' }],
    ['a 2,049-character server', 'p', [`https://h.example.com/${long(2030)}`], { _tag: 'InvalidConfig', field: 'servers[0]' }],
  ];
  it.each(cases)('should refuse %s and keep running tasks on the old pool', async (_name, provider, servers, left) => {
    const before = m.stats();
    const eventsBefore = events.length;
    const r = m.updateProviderServers(provider as string, servers as string[]);
    expect(isLeft(r) && r.left).toMatchObject(left);
    if (isLeft(r) && r.left._tag === 'InvalidConfig') expect(r.left.message).toContain(`\`${String(left['field'])}\``);
    await expectStillWorking(before, eventsBefore);
  });
});

describe('bad input: shutdown() rejects wrong options with a TypeError and does not start stopping', () => {
  it.each([
    ['mode', { mode: 'later' }],
    ['mode', { mode: 42 }],
    ['graceMs', { graceMs: -1 }],
    ['graceMs', { graceMs: NaN }],
    ['graceMs', { graceMs: '10' }],
  ])('should reject a wrong %s (%j) and keep accepting tasks', async (field, options) => {
    const before = m.stats();
    const eventsBefore = events.length;
    await expect(m.shutdown(options as never)).rejects.toThrow(TypeError);
    await expect(m.shutdown(options as never)).rejects.toThrow(`\`${field}\``);
    await expectStillWorking(before, eventsBefore);
  });
});

describe('bad input: createTaskManager throws a TypeError naming the option', () => {
  const provider = { name: 'p', servers: ['s'], handle: () => 1 };
  const base = (extra: Record<string, unknown>): TaskManagerOptions => ({ providers: [provider], ...extra }) as TaskManagerOptions;
  const cases: Array<readonly [string, unknown, string]> = [
    ['no options', null, 'options'],
    ['providers missing', {}, 'providers'],
    ['providers not an array', { providers: 'p' }, 'providers'],
    ['a null provider', { providers: [null] }, 'providers[0]'],
    ['an empty provider name', { providers: [{ ...provider, name: '' }] }, 'providers[0].name'],
    ['a numeric provider name', { providers: [{ ...provider, name: 7 }] }, 'providers[0].name'],
    ['a 257-character provider name', { providers: [{ ...provider, name: long(257) }] }, 'providers[0].name'],
    ['a duplicate provider name', { providers: [provider, { ...provider }] }, 'providers[1].name'],
    ['a duplicate provider name __proto__', { providers: [{ ...provider, name: '__proto__' }, { ...provider, name: '__proto__' }] }, 'providers[1].name'],
    ['a missing handler', { providers: [{ name: 'p', servers: [] }] }, 'providers[0].handle'],
    ['servers not an array', { providers: [{ ...provider, servers: 's' }] }, 'providers[0].servers'],
    ['an empty server', { providers: [{ ...provider, servers: [''] }] }, 'providers[0].servers[0]'],
    ['a non-string server', { providers: [{ ...provider, servers: ['a', 42] }] }, 'providers[0].servers[1]'],
    ['a 2,049-character server', { providers: [{ ...provider, servers: [long(2049)] }] }, 'providers[0].servers[0]'],
    ['serverLimits null', base({ serverLimits: null }), 'serverLimits'],
    ['serverLimits a string', base({ serverLimits: 's=1' }), 'serverLimits'],
    ['serverLimits an array', base({ serverLimits: [3] }), 'serverLimits'],
    ['a negative server limit', base({ serverLimits: { s: -1 } }), 'serverLimits["s"]'],
    ['a fractional server limit', base({ serverLimits: { s: 1.5 } }), 'serverLimits["s"]'],
    ['a NaN server limit', base({ serverLimits: { s: NaN } }), 'serverLimits["s"]'],
    ['a string server limit', base({ serverLimits: { s: '3' } }), 'serverLimits["s"]'],
    ['an empty server-limit key', base({ serverLimits: { '': 2 } }), 'serverLimits'],
    ['a 2,049-character server-limit key', base({ serverLimits: { [long(2049)]: 2 } }), 'serverLimits'],
    ['defaultServerLimit negative', base({ defaultServerLimit: -1 }), 'defaultServerLimit'],
    ['defaultServerLimit NaN', base({ defaultServerLimit: NaN }), 'defaultServerLimit'],
    ['defaultServerLimit a fraction', base({ defaultServerLimit: 0.5 }), 'defaultServerLimit'],
    ['defaultServerLimit -Infinity', base({ defaultServerLimit: -Infinity }), 'defaultServerLimit'],
    ['retry a number', base({ retry: 3 }), 'retry'],
    ['retry a string', base({ retry: 'always' }), 'retry'],
    ['retry.maxRetries negative', base({ retry: { maxRetries: -1 } }), 'retry.maxRetries'],
    ['retry.maxRetries a fraction', base({ retry: { maxRetries: 1.5 } }), 'retry.maxRetries'],
    ['retry.maxRetries Infinity', base({ retry: { maxRetries: Infinity } }), 'retry.maxRetries'],
    ['retry.isRetryable not a function', base({ retry: { isRetryable: true } }), 'retry.isRetryable'],
    ['retry.backoff a string', base({ retry: { backoff: 'exp' } }), 'retry.backoff'],
    ['retry.backoff.initialDelayMs negative', base({ retry: { backoff: { initialDelayMs: -1 } } }), 'retry.backoff.initialDelayMs'],
    ['retry.backoff.initialDelayMs Infinity', base({ retry: { backoff: { initialDelayMs: Infinity } } }), 'retry.backoff.initialDelayMs'],
    ['retry.backoff.multiplier below 1', base({ retry: { backoff: { multiplier: 0.5 } } }), 'retry.backoff.multiplier'],
    ['retry.backoff.multiplier NaN', base({ retry: { backoff: { multiplier: NaN } } }), 'retry.backoff.multiplier'],
    ['retry.backoff.maxDelayMs below initialDelayMs', base({ retry: { backoff: { initialDelayMs: 10, maxDelayMs: 5 } } }), 'retry.backoff.maxDelayMs'],
    ['retry.backoff.jitter unknown', base({ retry: { backoff: { jitter: 'random' } } }), 'retry.backoff.jitter'],
    ['timeout 0', base({ timeout: 0 }), 'timeout'],
    ['timeout negative', base({ timeout: -1 }), 'timeout'],
    ['timeout NaN', base({ timeout: NaN }), 'timeout'],
    ['timeout -Infinity', base({ timeout: -Infinity }), 'timeout'],
    ['timeout a string', base({ timeout: '100' }), 'timeout'],
    ['abandonAfterMs negative', base({ abandonAfterMs: -1 }), 'abandonAfterMs'],
    ['abandonAfterMs NaN', base({ abandonAfterMs: NaN }), 'abandonAfterMs'],
    ['slotWait a number', base({ slotWait: 100 }), 'slotWait'],
    ['slotWait.maxWaitMs 0', base({ slotWait: { maxWaitMs: 0 } }), 'slotWait.maxWaitMs'],
    ['slotWait.maxWaitMs NaN', base({ slotWait: { maxWaitMs: NaN } }), 'slotWait.maxWaitMs'],
    ['scheduler an empty object', base({ scheduler: {} }), 'scheduler'],
    ['random not a function', base({ random: 0.5 }), 'random'],
    ['logger without methods', base({ logger: {} }), 'logger'],
    ['logger missing error()', base({ logger: { debug() {}, info() {}, warn() {} } }), 'logger'],
    ['coordinator an empty object', base({ coordinator: {} }), 'coordinator'],
    ['coordinator beside serverLimits', base({ coordinator: localSlotCoordinator(), serverLimits: { s: 1 } }), 'serverLimits'],
  ];
  it.each(cases.map(([name, options, field]) => [name, field, options] as const))('should refuse %s (field %s)', (_name, field, options) => {
    const create = (): TaskManager => createTaskManager(options as TaskManagerOptions);
    expect(create).toThrow(TypeError);
    expect(create).toThrow(`\`${field}\``);
  });
});

describe('bad input: the operators throw a TypeError naming the option when created', () => {
  const demand = new Subject<number>();
  const cases: Array<readonly [string, () => unknown, string]> = [
    ['priorityBuffer(null)', () => priorityBuffer(null as never), 'config'],
    ['priorityBuffer without demand', () => priorityBuffer({ demand: 5 } as never), 'demand'],
    ['priorityBuffer with a non-function priority', () => priorityBuffer({ priority: 5, demand } as never), 'priority'],
    ['priorityBuffer with a non-function isCommand', () => priorityBuffer({ isCommand: 'yes', demand } as never), 'isCommand'],
    ['priorityBuffer with a queue (that is prioritySlots)', () => priorityBuffer({ queue: {} } as never), 'queue'],
    ['prioritySlots with a queue that is not a PullQueue', () => prioritySlots({ queue: {}, servers: ['s'], work: () => of(1) } as never), 'queue'],
    ['serverSlots(null)', () => serverSlots(null as never), 'config'],
    ['serverSlots without work', () => serverSlots({ servers: ['s'] } as never), 'work'],
    ['serverSlots with servers a string', () => serverSlots({ servers: 's', work: () => of(1) } as never), 'servers'],
    ['serverSlots with an empty server', () => serverSlots({ servers: [''], work: () => of(1) }), 'servers[0]'],
    ['serverSlots with a non-string server', () => serverSlots({ servers: ['a', 7], work: () => of(1) } as never), 'servers[1]'],
    ['serverSlots with a broker that is not a SlotBroker', () => serverSlots({ servers: ['s'], work: () => of(1), broker: {} } as never), 'broker'],
    ['serverSlots with a queue that is not a PullQueue', () => serverSlots({ servers: ['s'], work: () => of(1), queue: [] } as never), 'queue'],
    ['retryWithBackoff("x")', () => retryWithBackoff('x' as never), 'config'],
    ['retryWithBackoff(-1)', () => retryWithBackoff(-1), 'maxRetries'],
    ['retryWithBackoff(1.5)', () => retryWithBackoff(1.5), 'maxRetries'],
    ['retryWithBackoff(NaN)', () => retryWithBackoff(NaN), 'maxRetries'],
    ['retryWithBackoff(Infinity)', () => retryWithBackoff(Infinity), 'maxRetries'],
    ['retryWithBackoff with a non-function isRetryable', () => retryWithBackoff({ maxRetries: 1, isRetryable: 1 } as never), 'isRetryable'],
    ['retryWithBackoff with a string resetOnSuccess', () => retryWithBackoff({ maxRetries: 1, resetOnSuccess: 'yes' } as never), 'resetOnSuccess'],
    ['retryWithBackoff with an empty scheduler', () => retryWithBackoff({ maxRetries: 1, scheduler: {} } as never), 'scheduler'],
    ['retryWithBackoff with a non-function random', () => retryWithBackoff({ maxRetries: 1, random: 4 } as never), 'random'],
    ['retryWithBackoff with a non-function onRetry', () => retryWithBackoff({ maxRetries: 1, onRetry: 'log' } as never), 'onRetry'],
    ['retryWithBackoff with a multiplier below 1', () => retryWithBackoff({ maxRetries: 1, backoff: { multiplier: 0.1 } }), 'backoff.multiplier'],
    ['attemptTimeout(0)', () => attemptTimeout(0), 'timeoutMs'],
    ['attemptTimeout(-1)', () => attemptTimeout(-1), 'timeoutMs'],
    ['attemptTimeout(NaN)', () => attemptTimeout(NaN), 'timeoutMs'],
    ['attemptTimeout("5")', () => attemptTimeout('5' as never), 'config'],
    ['attemptTimeout(null)', () => attemptTimeout(null as never), 'config'],
    ['attemptTimeout({ timeoutMs: -Infinity })', () => attemptTimeout({ timeoutMs: -Infinity }), 'timeoutMs'],
    ['attemptTimeout with an empty scheduler', () => attemptTimeout({ timeoutMs: 5, scheduler: {} } as never), 'scheduler'],
    ['attemptTimeout with a controller that is not one', () => attemptTimeout({ timeoutMs: 5, controller: {} } as never), 'controller'],
    ['attemptTimeout with a numeric taskId', () => attemptTimeout({ timeoutMs: 5, taskId: 5 } as never), 'taskId'],
    ['attemptTimeout with a numeric server', () => attemptTimeout({ timeoutMs: 5, server: 5 } as never), 'server'],
    ['resolveBackoff("x")', () => resolveBackoff('x' as never), 'backoff'],
    ['resolveBackoff([])', () => resolveBackoff([] as never), 'backoff'],
    ['resolveBackoff(null)', () => resolveBackoff(null as never), 'backoff'],
    ['resolveBackoff with a negative initialDelayMs', () => resolveBackoff({ initialDelayMs: -1 }), 'backoff.initialDelayMs'],
    ['resolveBackoff with a NaN initialDelayMs', () => resolveBackoff({ initialDelayMs: NaN }), 'backoff.initialDelayMs'],
    ['resolveBackoff with an Infinity maxDelayMs', () => resolveBackoff({ maxDelayMs: Infinity }), 'backoff.maxDelayMs'],
    ['resolveBackoff with a multiplier of Infinity', () => resolveBackoff({ multiplier: Infinity }), 'backoff.multiplier'],
    ['resolveBackoff with an unknown jitter', () => resolveBackoff({ jitter: 'gaussian' } as never), 'backoff.jitter'],
    ['resolveBackoff with an initialDelayMs above the default cap', () => resolveBackoff({ initialDelayMs: 60_000 }), 'backoff.maxDelayMs'],
  ];
  it.each(cases)('should refuse %s (field %s)', (_name, create, field) => {
    expect(create).toThrow(TypeError);
    expect(create).toThrow(`\`${field}\``);
  });

  it('should error the stream, naming priority(item), when a priority function returns nonsense', async () => {
    const credits = new Subject<number>();
    const result = lastValueFrom(of(1, 2).pipe(priorityBuffer({ priority: (n) => (n === 2 ? Number.NaN : n), demand: credits }), toArray()));
    credits.next(5);
    await expect(result).rejects.toThrow('`priority(item)`');
  });

  it('should give a whole, capped delay from backoffDelay for nonsense retry numbers and random sources', () => {
    const backoff = resolveBackoff({ initialDelayMs: 100, maxDelayMs: 1000 });
    const randoms: Array<() => number> = [() => NaN, () => 7, () => -1, () => 'x' as never, () => { throw new Error('no entropy'); }];
    for (const retry of [NaN, -3, 0.5, 1e9, Infinity]) {
      for (const random of randoms) {
        const delay = backoffDelay(retry, undefined, backoff, random);
        expect(Number.isInteger(delay) && delay >= 0 && delay <= 1000).toBe(true);
      }
    }
  });

  it('should accept a real PullQueue as a prioritySlots queue (the check is not over-eager)', () => {
    expect(() => prioritySlots({ queue: new PullQueue<number>((a, b) => a - b), servers: ['s'], work: () => of(1) })).not.toThrow();
  });
});

describe('names that look like Object.prototype members are ordinary names', () => {
  it('should run providers, servers, limits and task ids named __proto__, constructor and hasOwnProperty like any other', async () => {
    const limits = JSON.parse('{"__proto__": 2, "constructor": 3}') as Record<string, number>;
    const m2 = createTaskManager({
      serverLimits: limits,
      providers: [
        { name: '__proto__', servers: ['__proto__'], handle: (t, ctx) => `${String(t.payload)}@${ctx.server}` },
        { name: 'constructor', servers: ['constructor', 'hasOwnProperty'], handle: (t, ctx) => `${String(t.payload)}@${ctx.server}` },
      ],
    });
    const proto = await m2.run({ provider: '__proto__', payload: 'a', id: '__proto__' });
    const ctor = await m2.run({ provider: 'constructor', payload: 'b', id: 'constructor' });
    const own = await m2.run({ provider: 'constructor', payload: 'c', id: 'hasOwnProperty' });
    expect([proto, ctor, own].map((o) => [o.id, o._tag])).toEqual([
      ['__proto__', 'Succeeded'],
      ['constructor', 'Succeeded'],
      ['hasOwnProperty', 'Succeeded'],
    ]);
    const stats = m2.stats();
    expect(Object.keys(stats.providers).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(stats.providers, '__proto__')?.value).toMatchObject({ succeeded: 1 });
    expect(Object.getOwnPropertyDescriptor(stats.servers, '__proto__')?.value).toMatchObject({ limit: 2, inUse: 0 });
    expect(Object.getOwnPropertyDescriptor(stats.servers, 'constructor')?.value).toMatchObject({ limit: 3 });
    expect(Object.getPrototypeOf(stats.servers)).toBe(Object.prototype); // not replaced through a key
    m2.setServerLimit('__proto__', 5);
    expect(Object.getOwnPropertyDescriptor(m2.stats().servers, '__proto__')?.value).toMatchObject({ limit: 5 });
    expect(m2.updateProviderServers('__proto__', ['constructor'])).toEqual({ _tag: 'Right', right: undefined });
    expect(await m2.run({ provider: '__proto__', payload: 'd' })).toMatchObject({ _tag: 'Succeeded', value: 'd@constructor' });
    expect(({} as Record<string, unknown>)['succeeded']).toBeUndefined(); // Object.prototype untouched
    await m2.shutdown();
  });
});

describe('duplicates that are not errors', () => {
  it('should treat a server listed twice in a pool as one server: no extra slots, at creation or in an update', () => {
    inVirtualTime((scheduler, flush) => {
      let running = 0;
      let peak = 0;
      const m2 = createTaskManager({
        scheduler,
        providers: [{
          name: 'p',
          servers: ['https://h.example.com/a', 'https://h.example.com/a', 'https://h.example.com/a?copy=1'],
          handle: () => {
            running++;
            peak = Math.max(peak, running);
            return work(10, 1, scheduler).pipe(finalize(() => running--));
          },
        }],
      });
      for (let i = 0; i < 6; i++) m2.submit({ provider: 'p', payload: i });
      scheduler.schedule(() => {
        expect(m2.updateProviderServers('p', ['https://h.example.com/a#x', 'https://h.example.com/a'])).toEqual({ _tag: 'Right', right: undefined });
        for (let i = 0; i < 6; i++) m2.submit({ provider: 'p', payload: i });
      }, 25);
      flush();
      expect(peak).toBe(1); // the default limit of the one server key, however often it is listed
      expect(m2.stats().providers['p']).toMatchObject({ succeeded: 12 });
      expect(Object.keys(m2.stats().servers)).toEqual(['https://h.example.com/a']);
    });
  });

  it('should refuse addProvider with a name already taken (InvalidConfig provider.name) and keep the first provider', async () => {
    const before = m.stats();
    const eventsBefore = events.length;
    const r = m.addProvider({ name: 'p', servers: ['elsewhere'], handle: () => 'impostor' });
    expect(isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidConfig', field: 'provider.name' });
    expect(m.addProvider({ name: '', servers: [], handle: () => 1 })).toMatchObject({ _tag: 'Left', left: { _tag: 'InvalidConfig', field: 'provider.name' } });
    expect(m.addProvider(null as never)).toMatchObject({ _tag: 'Left', left: { _tag: 'InvalidConfig', field: 'provider' } });
    await expectStillWorking(before, eventsBefore);
  });
});
