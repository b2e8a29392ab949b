import { lastValueFrom } from 'rxjs';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createTaskManager, type BackoffOptions, type TaskInput, type TaskManager } from '../../src/index.js';
import { resolveBackoff } from '../../src/operators/index.js';

// README, "Bad input": whatever a caller passes, the answer is the documented typed refusal or a
// TypeError naming the field, and each field is read once: the copy is what is checked and used.

const manager = (): TaskManager => createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: (t) => t.payload }] });
const revoked = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const trap = (): never => {
  throw new Error('trap');
};
const throwingProxy = (): object => new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
const badToString = { toString: trap, valueOf: trap };

/** Runs `call` and returns what it threw (undefined when it did not). */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
    return undefined;
  } catch (error) {
    return error;
  }
}

const asTypeErrorNaming = (field: string) => (error: unknown) => error instanceof TypeError && error.message.includes(`\`${field}\``);

describe('hostile input', () => {
  it.each([
    ['a Symbol', Symbol('x')],
    ['an object whose toString throws', badToString],
    ['a revoked Proxy', revoked()],
    ['a Proxy whose traps throw', throwingProxy()],
  ])('cancel(%s) throws a TypeError naming `id`', (_name, id) => {
    expect(thrownBy(() => manager().cancel(id as unknown as string))).toSatisfy(asTypeErrorNaming('id'));
  });

  it.each([
    ['a revoked Proxy', revoked(), 'provider'],
    ['a Proxy whose traps throw', throwingProxy(), 'provider'],
    ['a payload getter that throws null', { provider: 'p', get payload(): never { throw null; } }, 'payload'],
    ['a provider getter that throws undefined', { get provider(): never { throw undefined; }, payload: 1 }, 'provider'],
    ['a priority getter that throws', { provider: 'p', payload: 1, get priority(): never { return trap(); } }, 'priority'],
  ])('submit(%s) is refused as InvalidTask naming the field', async (_name, input, field) => {
    const m = manager();
    const submitted = m.submit(input as TaskInput);
    expect(isLeft(submitted) && submitted.left).toMatchObject({ _tag: 'InvalidTask', field });
    await expect(m.run(input as TaskInput)).rejects.toMatchObject({ rejection: { _tag: 'InvalidTask', field } });
  });

  it('command() with unreadable options is refused as InvalidTask', () => {
    const submitted = manager().command('p', () => 1, revoked());
    expect(isLeft(submitted) && submitted.left).toMatchObject({ _tag: 'InvalidTask', field: 'id' });
  });

  it.each([
    ['null', null, 'options'],
    ['a revoked Proxy', revoked(), 'mode'],
    ['a mode getter that throws null', { get mode(): never { throw null; } }, 'mode'],
  ])('shutdown(%s) rejects with a TypeError naming the field', async (_name, options, field) => {
    await expect(manager().shutdown(options as never)).rejects.toSatisfy(asTypeErrorNaming(field));
  });

  it.each([
    ['a revoked Proxy', () => revoked(), 'providers'],
    ['a Proxy whose traps throw', () => throwingProxy(), 'providers'],
    ['a providers getter that throws', () => ({ get providers(): never { return trap(); } }), 'providers'],
    ['a revoked providers array', () => ({ providers: revoked() }), 'providers'],
    ['a provider whose name getter throws', () => ({ providers: [{ get name(): never { return trap(); }, servers: [], handle: () => 1 }] }), 'providers[0].name'],
    ['a retry whose maxRetries getter throws', () => ({ providers: [], retry: { get maxRetries(): never { return trap(); } } }), 'retry.maxRetries'],
    ['serverLimits whose keys cannot be listed', () => ({ providers: [], serverLimits: throwingProxy() }), 'serverLimits'],
  ])('createTaskManager(%s) throws a TypeError naming the field', (_name, options, field) => {
    expect(thrownBy(() => createTaskManager(options() as never))).toSatisfy(asTypeErrorNaming(field));
  });

  it('should check and use the same read of every field (a getter cannot change its answer after the check)', () => {
    const m = manager();
    let priorityReads = 0;
    const shifty = { provider: 'p', payload: 1, get priority() { return ++priorityReads > 2 ? NaN : 5; } };
    const first = m.submit(shifty);
    const second = m.submit(shifty);
    expect(isRight(first) && isRight(second)).toBe(true);
    expect(priorityReads).toBe(2);
    let idReads = 0;
    const morphing = { provider: 'p', payload: 1, get id(): string { return ++idReads > 1 ? ({} as string) : 'x'; } };
    const submitted = m.submit(morphing);
    expect(isRight(submitted) && submitted.right.id).toBe('x');
    expect(idReads).toBe(1);
  });

  it("should keep a provider's first read of name and servers (getters that change later change nothing)", async () => {
    let nameReads = 0;
    let serverReads = 0;
    const shifty = {
      get name(): string {
        return ++nameReads > 1 ? ({} as string) : 'p';
      },
      get servers(): string[] {
        return ++serverReads > 1 ? ['elsewhere'] : ['s'];
      },
      handle: (_task: unknown, ctx: { server: string }) => ctx.server,
    };
    const m = createTaskManager({ providers: [shifty] });
    expect([nameReads, serverReads]).toEqual([1, 1]);
    expect(Object.keys(m.stats().providers)).toEqual(['p']);
    const submitted = m.submit({ provider: 'p', payload: 1 });
    expect(isRight(submitted) && (await lastValueFrom(submitted.right.outcome$))).toMatchObject({ _tag: 'Succeeded', value: 's' });

    nameReads = 0;
    serverReads = 0;
    const live = { handle: shifty.handle, get name(): string { return ++nameReads > 1 ? 'p' : 'q'; }, get servers(): string[] { return ++serverReads > 1 ? ['elsewhere'] : ['t']; } };
    expect(isRight(m.addProvider(live))).toBe(true);
    expect([nameReads, serverReads]).toEqual([1, 1]);
    const onQ = m.submit({ provider: 'q', payload: 1 });
    expect(isRight(onQ) && (await lastValueFrom(onQ.right.outcome$))).toMatchObject({ _tag: 'Succeeded', value: 't' });
  });

  it('should use the pool updateProviderServers checked, not a second read of its elements', async () => {
    const m = manager();
    let reads = 0;
    const pool: string[] = [];
    Object.defineProperty(pool, 0, { get: () => (++reads > 1 ? 42 : 'u'), enumerable: true });
    pool.length = 1;
    expect(isRight(m.updateProviderServers('p', pool))).toBe(true);
    expect(reads).toBe(1);
    const submitted = m.submit({ provider: 'p', payload: 1 });
    expect(isRight(submitted) && (await lastValueFrom(submitted.right.outcome$))).toMatchObject({ _tag: 'Succeeded' });
    expect(m.stats().providers['p']?.budgetOf).toEqual({ u: 'u' });
  });

  it('should read each retry.backoff field once (checked and used alike)', () => {
    const reads: Record<string, number> = {};
    const counted = <T>(key: string, first: T, later: unknown) => ({
      get(): T {
        reads[key] = (reads[key] ?? 0) + 1;
        return (reads[key] > 1 ? later : first) as T;
      },
      enumerable: true,
    });
    const backoff = Object.defineProperties({}, {
      initialDelayMs: counted('initialDelayMs', 10, NaN),
      multiplier: counted('multiplier', 3, -1),
      maxDelayMs: counted('maxDelayMs', 50, 'x'),
      jitter: counted('jitter', 'none', 'sideways'),
    });
    expect(() => createTaskManager({ providers: [], retry: { maxRetries: 1, backoff } })).not.toThrow();
    expect(reads).toEqual({ initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 1 });
    for (const key of Object.keys(reads)) reads[key] = 0;
    expect(resolveBackoff(backoff as BackoffOptions)).toEqual({ initialDelayMs: 10, multiplier: 3, maxDelayMs: 50, jitter: 'none' });
    expect(thrownBy(() => resolveBackoff({ get multiplier(): never { return trap(); } }))).toSatisfy(asTypeErrorNaming('backoff.multiplier'));
  });

  it('should cap callbackName and maxRetries, and show a limit of -0 as 0', () => {
    const m = manager();
    const long = m.submit({ provider: 'p', payload: 1, callbackName: 'x'.repeat(10_000_000) });
    expect(isLeft(long) && long.left).toMatchObject({ _tag: 'InvalidTask', field: 'callbackName' });
    const huge = m.submit({ provider: 'p', payload: 1, maxRetries: 1e308 });
    expect(isLeft(huge) && huge.left).toMatchObject({ _tag: 'InvalidTask', field: 'maxRetries' });
    expect(() => createTaskManager({ providers: [], retry: { maxRetries: 1e308 } })).toThrow('`retry.maxRetries`');
    m.setServerLimit('s', -0);
    expect(Object.is(m.stats().servers['s']?.limit, 0)).toBe(true);
    expect(Object.is(createTaskManager({ providers: [{ name: 'p', servers: ['s'], handle: () => 1 }], serverLimits: { s: -0 } }).stats().servers['s']?.limit, 0)).toBe(true);
  });
});
