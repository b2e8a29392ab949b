import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SlotChange } from '../../src/slots/slotCoordinator.js';
import { isRedisCoordinatorError, redisSlotCoordinator, type RedisSlotCoordinator, type RedisSlotCoordinatorOptions } from '../../src/redis/index.js';
import { eventually, grab, sleep } from './grab.js';
import { freePort, redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

describe('redisSlotCoordinator options', () => {
  const base: RedisSlotCoordinatorOptions = { redis: 'redis://127.0.0.1:1', instanceName: 'a' };
  const bad: Array<[string, Partial<Record<keyof RedisSlotCoordinatorOptions, unknown>>]> = [
    ['redis', { redis: 42 }],
    ['instanceName', { instanceName: '' }],
    ['keyPrefix', { keyPrefix: 'a{b}' }],
    ['leaseMs', { leaseMs: 50 }],
    ['leaseMs', { leaseMs: 1_000.5 }],
    ['defaultLimit', { defaultLimit: -1 }],
    ['limits["https://h"]', { limits: { 'https://h': 1.5 } }],
    ['limits', { limits: { '': 1 } }], // setLimit/removeLimit refuse it: it could never be removed
    ['limits', { limits: { [`https://h/${'x'.repeat(2_048)}`]: 1 } }],
    ['connectTimeoutMs', { connectTimeoutMs: 0 }],
    ['clusterStatsMs', { clusterStatsMs: 10 }],
    ['random', { random: 0.5 }],
    ['logger', { logger: {} }],
  ];
  it.each(bad)('should throw a TypeError naming `%s` before connecting', (field, options) => {
    expect(() => redisSlotCoordinator({ ...base, ...options } as RedisSlotCoordinatorOptions)).toThrow(TypeError);
    expect(() => redisSlotCoordinator({ ...base, ...options } as RedisSlotCoordinatorOptions)).toThrow(`\`${field}\``);
  });

  it('should reject when Redis does not answer within connectTimeoutMs, naming the address and the cause', async () => {
    const port = await freePort(); // nothing listens there
    const started = Date.now();
    const creating = redisSlotCoordinator({ redis: `redis://127.0.0.1:${port}`, instanceName: 'a', connectTimeoutMs: 300 });
    await expect(creating).rejects.toSatisfy((error) => isRedisCoordinatorError(error) && error.kind === 'connection');
    await expect(creating).rejects.toThrow(`Redis at 127.0.0.1:${port} did not answer within 300 ms (connectTimeoutMs): connect ECONNREFUSED 127.0.0.1:${port}`);
    await expect(creating).rejects.toSatisfy((error) => (error as Error).cause instanceof Error);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('should let the process exit at once after a failed start', async () => {
    const port = await freePort();
    // A child process that only tries to start a coordinator: nothing of it may keep the event loop alive.
    const script = `
      import { redisSlotCoordinator } from './src/redis/index.ts';
      redisSlotCoordinator({ redis: 'redis://127.0.0.1:${port}', instanceName: 'a', connectTimeoutMs: 200 })
        .catch(() => process.stdout.write('rejected\\n'));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let rejectedAt = 0;
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('rejected')) rejectedAt = Date.now();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(rejectedAt).toBeGreaterThan(0);
    // ioredis alone would keep a closed socket's timer for 2 s.
    expect(Date.now() - rejectedAt).toBeLessThan(1_000);
  });
});

describe.runIf(redisTestsEnabled())('redisSlotCoordinator', () => {
  let redis: RedisServer;
  let raw: Redis;
  let open: RedisSlotCoordinator[] = [];
  let test = 0;
  let prefix = '';

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    raw.on('error', () => undefined); // one test stops the server
  });

  afterEach(async () => {
    await Promise.all(open.map((c) => c.close()));
    open = [];
  });

  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  /** A coordinator on this test's own key prefix (tests share one redis-server). */
  async function make(instanceName: string, options: Partial<RedisSlotCoordinatorOptions> = {}): Promise<RedisSlotCoordinator> {
    const coordinator = await redisSlotCoordinator({ redis: redis.url, instanceName, keyPrefix: prefix, leaseMs: 1_500, ...options });
    open.push(coordinator);
    return coordinator;
  }

  const newPrefix = (): string => (prefix = `t${test++}`);

  it('should grant up to the default limit across instances for a server with no stored limit', async () => {
    newPrefix();
    const a = await make('a', { defaultLimit: 2 });
    // b's timers never fire (its safety-net poll included), so only a wake-up can give it the slot.
    const b = await make('b', { defaultLimit: 2, leaseMs: 10_000, scheduler: new VirtualTimeScheduler() });
    await grab(a, 'srv');
    await grab(a, 'srv');
    let bGotAt = 0;
    const bWaits = grab(b, 'srv').then((at) => (bGotAt = at));
    await eventually(async () => (await raw.zcard(`{${prefix}:srv}:waiters`)) === 1, 5_000, 'b waits');
    await sleep(100);
    expect(bGotAt).toBe(0);
    expect(await a.clusterBudget('srv')).toEqual({ limit: 2, inUse: 2, waiters: 1 });
    expect(a.budget('srv')).toEqual({ limit: 2, inUse: 2 });
    expect(b.budget('srv')).toEqual({ limit: 2, inUse: 0 });
    a.release('srv');
    await bWaits; // woken by pub/sub: b has no poll that could fire
    expect(await a.clusterBudget('srv')).toEqual({ limit: 2, inUse: 2, waiters: 0 });
  });

  it('should keep leases in a sorted set under the budget hash tag, expiring by Redis time', async () => {
    newPrefix();
    const a = await make('a');
    const server = 'http://h.example:8080/api';
    await grab(a, server);
    const key = `{${prefix}:${server}}:leases`;
    const [member, score] = await raw.zrange(key, 0, -1, 'WITHSCORES');
    const [seconds, micros] = await raw.time();
    const redisNow = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
    expect(member).toMatch(/^a:/);
    expect(Number(score) - redisNow).toBeGreaterThan(1_000);
    expect(Number(score) - redisNow).toBeLessThanOrEqual(1_500);
    a.release(server);
    await eventually(async () => (await raw.zcard(key)) === 0, 2_000, 'lease removed');
  });

  it('should serve waiters from every instance in the order they started waiting', async () => {
    newPrefix();
    // Long leases: a waiter's place lapses after a lease without asking, which a loaded machine must not cause here.
    // Wide waits: on a loaded machine an event-loop stall can read as an outage, and the coordinator then
    // fences its budgets for a lease before asking again (the outage rule); the order must still hold.
    const [a, b, c] = await Promise.all([make('a', { leaseMs: 10_000 }), make('b', { leaseMs: 10_000 }), make('c', { leaseMs: 10_000 })]);
    await grab(a, 'srv', 60_000);
    const order: string[] = [];
    // On a failure, say what the queue held and the longest event-loop stall of this process (all
    // three instances live in it): a stall near leaseMs lets a waiter's place lapse, by design.
    const stalls = monitorEventLoopDelay({ resolution: 20 });
    stalls.enable();
    let seen = '';
    const queued = (expected: string) => async (): Promise<boolean> => (seen = (await raw.zrange(`{${prefix}:srv}:waiters`, 0, -1)).join()) === expected;
    const instead = (what: string) => (): string => `${what} (the queue held '${seen}'; longest stall ${Math.round(stalls.max / 1e6)} ms)`;
    const cWaits = grab(c, 'srv', 60_000).then(() => order.push('c'));
    await eventually(queued('c'), 30_000, instead('c queued'));
    const bWaits = grab(b, 'srv', 60_000).then(() => order.push('b'));
    await eventually(queued('c,b'), 30_000, instead('b queued after c'));
    a.release('srv');
    await cWaits;
    // a asks again at once, but b has waited longer.
    const aWaits = grab(a, 'srv', 60_000).then(() => order.push('a'));
    await eventually(queued('b,a'), 30_000, instead('a queued after b'));
    stalls.disable();
    c.release('srv');
    await bWaits;
    b.release('srv');
    await aWaits;
    expect(order).toEqual(['c', 'b', 'a']);
  }, 180_000);

  it('should refuse a second live process with the same instance name, and free the name on close', async () => {
    newPrefix();
    const a = await make('same');
    const second = redisSlotCoordinator({ redis: redis.url, instanceName: 'same', keyPrefix: prefix, leaseMs: 1_500 });
    await expect(second).rejects.toSatisfy((error) => isRedisCoordinatorError(error) && error.kind === 'instance-name');
    await expect(second).rejects.toThrow(/"same" is in use by another live process/);
    await a.close();
    await make('same');
  });

  it('should give every slot back at once on close', async () => {
    newPrefix();
    const a = await make('a', { defaultLimit: 2, leaseMs: 10_000 });
    const b = await make('b', { defaultLimit: 2, leaseMs: 10_000 });
    await grab(a, 'srv');
    await grab(a, 'srv');
    const bWaits = Promise.all([grab(b, 'srv'), grab(b, 'srv')]);
    await sleep(100);
    const closedAt = Date.now();
    await a.close();
    await bWaits;
    expect(Date.now() - closedAt).toBeLessThan(5_000); // far sooner than the 10 s lease
    expect(await raw.exists(`${prefix}:instance:a`)).toBe(0);
    expect(a.tryAcquire('srv')).toBe(false);
  });

  it('should give the slots of a holder that went silent back within leaseMs', async () => {
    newPrefix();
    const client = new Redis(redis.url);
    client.on('error', () => undefined);
    const a = await make('a', { redis: client });
    const b = await make('b');
    await grab(a, 'srv');
    const bWaits = grab(b, 'srv', 5_000);
    await sleep(100);
    const silentAt = Date.now();
    client.disconnect(); // no release, no renewal: like a process killed with SIGKILL
    const gotAt = await bWaits;
    expect(gotAt - silentAt).toBeLessThanOrEqual(1_500 + 1_500);
    // It was the lease (renewed at most a third of it before), not a release.
    expect(gotAt - silentAt).toBeGreaterThanOrEqual(500);
  });

  it('should share limits: set on one instance, used and shown by every instance at once', async () => {
    newPrefix();
    const a = await make('a');
    const b = await make('b');
    const bChanges: SlotChange[] = [];
    b.changes$.subscribe((change) => bChanges.push(change));
    const api = 'http://h.example/api';
    expect(b.budgetOf(`${api}/v2`)).toBe(`${api}/v2`);

    a.setLimit(`${api}?s=1`, 3); // normalised like everywhere else
    expect(a.limits().get(api)).toBe(3);
    await eventually(() => b.limits().get(api) === 3, 5_000, 'b sees the new limit');
    expect(bChanges).toContainEqual({ type: 'budgets' });
    expect(b.budgetOf(`${api}/v2`)).toBe(api);
    expect(b.budget(api).limit).toBe(3);
    expect(await b.clusterBudget(api)).toMatchObject({ limit: 3 });

    bChanges.length = 0;
    a.setLimit(api, 5);
    await eventually(() => b.budget(api).limit === 5, 5_000, 'b sees the raised limit');
    expect(bChanges).toContainEqual({ type: 'room', budget: api });

    const c = await make('c');
    expect(c.limits().get(api)).toBe(5); // read at start

    a.removeLimit(api);
    await eventually(() => !b.limits().has(api) && !c.limits().has(api), 5_000, 'the removal reaches b and c');
    expect(b.budgetOf(`${api}/v2`)).toBe(`${api}/v2`);
    expect(b.budget(api).limit).toBe(1); // the default, never unlimited
  });

  it('should move running slots with their server when a new prefix limit regroups budgets', async () => {
    newPrefix();
    const a = await make('a', { defaultLimit: 2 });
    const b = await make('b', { defaultLimit: 2 });
    const server = 'http://h.example/api/v1';
    await grab(a, server);
    a.setLimit('http://h.example/api', 1);
    await eventually(async () => (await a.clusterBudget('http://h.example/api')).inUse === 1, 5_000, 'lease moved in Redis');
    expect(a.budget('http://h.example/api')).toEqual({ limit: 1, inUse: 1 });
    expect((await a.clusterBudget(server)).inUse).toBe(0);
    // The moved lease fills the prefix budget: b waits until a releases.
    await eventually(() => b.budgetOf(server) === 'http://h.example/api', 5_000, 'b regrouped');
    let bGot = false;
    const bWaits = grab(b, server).then(() => (bGot = true));
    await sleep(200);
    expect(bGot).toBe(false);
    a.release(server);
    await bWaits;
  });

  it('should fence a budget after Redis lost its data until running slots are listed again', async () => {
    newPrefix();
    const a = await make('a', { limits: { other: 3 } });
    const b = await make('b');
    const aErrors: string[] = [];
    a.errors$.subscribe((error) => aErrors.push(error.kind));
    await grab(b, 'srv'); // b knows the budget
    b.release('srv');
    await grab(a, 'srv'); // a's work runs on the only slot
    await wipe(prefix); // as after FLUSHALL: no disconnect, every key gone
    let bGot = 0;
    const bWaits = grab(b, 'srv', 8_000).then((at) => (bGot = at));
    await sleep(1_500 + 500); // the fence, and more than one renewal of a's lease
    expect(bGot).toBe(0); // the empty budget granted nothing: a's lease was listed again first
    expect(await a.clusterBudget('srv')).toMatchObject({ inUse: 1, waiters: 1 });
    expect(aErrors).toContain('lease-lost');
    expect(await raw.hget(`${prefix}:limits`, 'other')).toBe('3'); // limits written back
    a.release('srv');
    await bWaits;
  });

  /** Deletes every key of a prefix. */
  async function wipe(keyPrefix: string): Promise<void> {
    const keys = (await raw.keys('*')).filter((key) => key.startsWith(`{${keyPrefix}:`) || key.startsWith(`${keyPrefix}:`));
    if (keys.length > 0) await raw.del(...keys);
  }

  it('should grant nothing while Redis is down, say so on errors$, connected$ and the logger, and recover', async () => {
    newPrefix();
    const logged: Array<[string, string]> = [];
    const logger = {
      debug: () => undefined,
      info: (_: object, msg?: string) => logged.push(['info', msg ?? '']),
      warn: (_: object, msg?: string) => logged.push(['warn', msg ?? '']),
      error: (_: object, msg?: string) => logged.push(['error', msg ?? '']),
    };
    const a = await make('a', { logger, defaultLimit: 2 });
    const states: boolean[] = [];
    const kinds: string[] = [];
    a.connected$.subscribe((up) => states.push(up));
    a.errors$.subscribe((error) => kinds.push(error.kind));
    await grab(a, 'srv'); // running work keeps its slot through the outage

    await redis.stop();
    await eventually(() => states.at(-1) === false, 3_000, 'connected$ false');
    expect(kinds).toContain('connection');
    expect(logged.some(([level, msg]) => level === 'error' && msg.includes('unreachable'))).toBe(true);
    let got = false;
    const waits = grab(a, 'srv', 8_000).then(() => (got = true));
    await sleep(300);
    expect(got).toBe(false); // never a local fallback

    await redis.start();
    await eventually(() => states.at(-1) === true, 5_000, 'connected$ true again');
    expect(logged.some(([level, msg]) => level === 'info' && msg.includes('Redis answers again'))).toBe(true);
    await waits; // after the fence (Redis came back empty): the running slot was listed again first
    expect(await a.clusterBudget('srv')).toMatchObject({ limit: 2, inUse: 2 });
    expect(states).toEqual([true, false, true]);
  });

  it('should show every known budget cluster-wide, polled once per clusterStatsMs however many subscribe', async () => {
    newPrefix();
    const a = await make('a', { limits: { srv: 3 }, clusterStatsMs: 60_000 });
    const b = await make('b', { limits: { srv: 3 } });
    await grab(a, 'srv');
    await grab(a, 'other');
    await grab(b, 'srv');
    await grab(b, 'srv');
    expect(a.budget('srv')).toEqual({ limit: 3, inUse: 1 }); // this process only
    expect(await a.clusterStats()).toEqual({ srv: { limit: 3, inUse: 3, waiters: 0 }, other: { limit: 1, inUse: 1, waiters: 0 } });

    const calls = async (): Promise<number> => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
    const before = await calls();
    const seen: unknown[] = [];
    const first = a.clusterStats$.subscribe((stats) => seen.push(stats));
    const second = a.clusterStats$.subscribe((stats) => seen.push(stats));
    await eventually(() => seen.length === 2, 5_000, 'both subscribers got the snapshot');
    expect(seen[1]).toBe(seen[0]); // one read, shared
    expect(seen[0]).toMatchObject({ srv: { inUse: 3 } });
    expect((await calls()) - before).toBe(2); // one script call per budget, not per subscriber
    first.unsubscribe();
    second.unsubscribe();
  });

  it('should pause a budget with limit 0 and lift every bound with Infinity', async () => {
    newPrefix();
    const a = await make('a', { limits: { paused: 0 } });
    let got = 0;
    const waits = Promise.all([grab(a, 'paused'), grab(a, 'paused'), grab(a, 'paused')]).then(() => (got = 3));
    await sleep(200);
    expect(got).toBe(0);
    a.setLimit('paused', Infinity);
    await waits;
    expect(await a.clusterBudget('paused')).toEqual({ limit: Infinity, inUse: 3, waiters: 0 });
  });
});
