// Type tests: `npm test` type-checks this file (tsc), so a wrong inference or a `@ts-expect-error`
// that no longer errors fails the run; the assertions below also run the calls for real.
import type { Either } from 'fp-ts/lib/Either.js';
import { isRight } from 'fp-ts/lib/Either.js';
import { of } from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createTaskManager,
  defineProvider,
  type Provider,
  type SubmitRejected,
  type Task,
  type TaskHandle,
  type TaskManager,
  type TaskOutcome,
} from '../../src/index.js';

const ai = defineProvider({
  name: 'ai',
  servers: ['gpu-1'],
  handle: async (task: Task<{ prompt: string }>) => `answer to ${task.payload.prompt}`,
});
const ssr = defineProvider({
  name: 'ssr',
  servers: ['node-1'],
  handle: (task: Task<{ path: string }>) => of({ html: `<p>${task.payload.path}</p>`, bytes: 12 }),
});
const words = defineProvider({
  name: 'words',
  servers: ['node-1'],
  handle: (task: Task<string>) => task.payload.split(' '),
});

describe('provider types, from defineProvider to the outcome', () => {
  it('should infer the name, payload and result of a provider (a Promise, an Observable, a plain array)', () => {
    expectTypeOf(ai).toEqualTypeOf<Provider<{ prompt: string }, string, 'ai'>>();
    expectTypeOf(ssr).toEqualTypeOf<Provider<{ path: string }, { html: string; bytes: number }, 'ssr'>>();
    // Arrays and strings are results, not streams.
    expectTypeOf(words).toEqualTypeOf<Provider<string, string[], 'words'>>();
  });

  it('should type run, submit and command by the provider name, with the handler result as outcome value', async () => {
    const manager = createTaskManager({ providers: [ai, ssr, words] });
    const answer = manager.run({ provider: 'ai', payload: { prompt: 'hi' } });
    expectTypeOf(answer).toEqualTypeOf<Promise<TaskOutcome<string>>>();
    const page = manager.submit({ provider: 'ssr', payload: { path: '/' } });
    expectTypeOf(page).toEqualTypeOf<Either<SubmitRejected, TaskHandle<{ html: string; bytes: number }>>>();
    const split = await manager.run({ provider: 'words', payload: 'a b' });
    if (split._tag === 'Succeeded') expectTypeOf(split.value).toEqualTypeOf<string[]>();
    expect(split).toMatchObject({ _tag: 'Succeeded', value: ['a', 'b'] });
    const outcome = await answer;
    if (outcome._tag === 'Succeeded') expectTypeOf(outcome.value).toEqualTypeOf<string>();
    expect(outcome).toMatchObject({ _tag: 'Succeeded', value: 'answer to hi' });
    const reload = manager.command('ssr', (ctx) => Promise.resolve({ reloaded: ctx.server }));
    expectTypeOf(reload).toEqualTypeOf<Either<SubmitRejected, TaskHandle<{ reloaded: string }>>>();
    await manager.shutdown();
  });

  it('should refuse a wrong payload and an unknown provider name at compile time', async () => {
    const manager = createTaskManager({ providers: [ai, ssr] });
    // @ts-expect-error -- the payload of 'ai' is { prompt: string }
    const wrongPayload = manager.submit({ provider: 'ai', payload: 42 });
    // @ts-expect-error -- 'ssr' tasks need a path
    void manager.run({ provider: 'ssr', payload: { prompt: 'hi' } }).catch(() => undefined);
    // @ts-expect-error -- no provider is called 'a1'
    const unknownName = manager.submit({ provider: 'a1', payload: { prompt: 'hi' } });
    // @ts-expect-error -- commands check the name too
    const unknownCommand = manager.command('nope', () => 1);
    // What a caller that bypasses the types gets at runtime:
    expect(isRight(wrongPayload)).toBe(true);
    expect(unknownName).toEqual({ _tag: 'Left', left: { _tag: 'UnknownProvider', provider: 'a1' } });
    expect(unknownCommand).toEqual({ _tag: 'Left', left: { _tag: 'UnknownProvider', provider: 'nope' } });
    await manager.shutdown({ mode: 'cancel', graceMs: 0 });
  });

  it('should infer inline providers too: literal names, payloads from the handler, results from its return', async () => {
    const manager = createTaskManager({
      providers: [
        { name: 'echo', servers: ['s'], handle: (task: Task<number>) => task.payload * 2 },
        { name: 'any', servers: ['s'], handle: () => Promise.resolve(true) },
      ],
    });
    const doubled = await manager.run({ provider: 'echo', payload: 21 });
    if (doubled._tag === 'Succeeded') expectTypeOf(doubled.value).toEqualTypeOf<number>();
    expect(doubled).toMatchObject({ value: 42 });
    // A handler that does not read its task takes any payload.
    const anything = await manager.run({ provider: 'any', payload: Symbol('anything') });
    if (anything._tag === 'Succeeded') expectTypeOf(anything.value).toEqualTypeOf<boolean>();
    expect(anything).toMatchObject({ value: true });
    await manager.shutdown();
  });

  it('should type a provider added later through the manager addProvider returns (the same object)', async () => {
    const manager = createTaskManager({ providers: [ai] });
    const added = manager.addProvider(
      defineProvider({ name: 'late', servers: ['s'], handle: (task: Task<{ n: number }>) => task.payload.n + 1 }),
    );
    if (!isRight(added)) throw new Error('addProvider refused');
    const wider = added.right;
    expect(wider).toBe(manager);
    const late = await wider.run({ provider: 'late', payload: { n: 1 } });
    if (late._tag === 'Succeeded') expectTypeOf(late.value).toEqualTypeOf<number>();
    expect(late).toMatchObject({ value: 2 });
    expectTypeOf(wider.run({ provider: 'ai', payload: { prompt: 'still typed' } })).toEqualTypeOf<Promise<TaskOutcome<string>>>();
    // @ts-expect-error -- the manager's own type cannot grow: the new name is known to `wider` only
    void manager.run({ provider: 'late', payload: { n: 1 } });
    // @ts-expect-error -- and `wider` checks its payload
    void wider.run({ provider: 'late', payload: { n: '1' } });
    await wider.shutdown();
  });

  it('should accept any name and payload, with unknown results, when the providers are not known statically', async () => {
    const providers: Provider[] = [ai, ssr];
    const manager = createTaskManager({ providers });
    expectTypeOf(manager).toEqualTypeOf<TaskManager>();
    const outcome = await manager.run({ provider: 'ai', payload: { prompt: 'x' } });
    expectTypeOf(outcome).toEqualTypeOf<TaskOutcome<unknown>>();
    expect(outcome).toMatchObject({ _tag: 'Succeeded', value: 'answer to x' });
    await manager.shutdown();
  });

  it('should let a typed manager go where a TaskManager is expected', async () => {
    const stop = (m: TaskManager): Promise<unknown> => m.shutdown();
    await stop(createTaskManager({ providers: [ai, ssr] }));
  });
});
