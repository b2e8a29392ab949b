import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runScript } from '../../src/redis/client.js';
import { budgetKeys } from '../../src/redis/keys.js';
import { ACQUIRE, INSPECT, RELEASE, RENEW, WITHDRAW } from '../../src/redis/scripts.js';
import { redisTestsEnabled, startRedisServer, type RedisServer } from './redisServer.js';

// The weighted budget scripts called directly, as the coordinator calls them: one call per
// acquire and one per release; a lease's weight is written in its id ('<id>*<weight>').
describe.runIf(redisTestsEnabled())('Redis budget scripts with task weights', () => {
  let redis: RedisServer;
  let client: Redis;
  let round = 0;
  let keys = budgetKeys('w0', 'b');
  const channel = 'w:events';
  const wakes: string[][] = [];
  let subscriber: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    subscriber = new Redis(redis.url);
    await subscriber.subscribe(channel);
    subscriber.on('message', (_channel: string, text: string) => wakes.push((JSON.parse(text) as { to: string[] }).to));
  }, 60_000);
  afterAll(async () => {
    subscriber?.disconnect();
    client?.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    keys = budgetKeys(`w${++round}`, 'b');
    wakes.length = 0;
    await client.set(keys.limit, '4');
  });

  const acquire = async (instance: string, leaseId: string, leaseMs = 10_000): Promise<number[]> =>
    (await runScript(
      client,
      ACQUIRE,
      [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.epoch, keys.rate, keys.starts, keys.lastStart, keys.waiterWeights],
      ['b', instance, leaseId, leaseMs, '1', channel, '0'],
    )) as number[];
  const release = (leaseId: string): Promise<unknown> => runScript(client, RELEASE, [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.waiterWeights], ['b', leaseId, '1', channel]);
  const withdraw = (instance: string): Promise<unknown> => runScript(client, WITHDRAW, [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.waiterWeights], ['b', instance, '1', channel]);
  const inUse = async (): Promise<number> => ((await runScript(client, INSPECT, [keys.leases, keys.waiters, keys.waiterTtl, keys.limit], ['1'])) as number[])[1] ?? -1;
  const lastWake = async (): Promise<string[] | undefined> => {
    await client.ping(); // the message was published before the script answered; let it arrive
    await subscriber.ping();
    return wakes.at(-1);
  };

  it('should count the weights of live leases and grant only while in use + weight <= limit', async () => {
    expect(await acquire('a', 'a:1*3')).toEqual([1, 3, 0, 0]);
    expect((await acquire('b', 'b:1*2'))[0]).toBe(0); // 3 + 2 > 4
    expect(await inUse()).toBe(3);
    await withdraw('b');
    expect(await acquire('b', 'b:2')).toEqual([1, 4, 0, 0]); // weight 1 fits
    await release('a:1*3');
    expect(await inUse()).toBe(1);
  });

  it('should hold the budget for a heavy head: a light waiter behind it is not served first', async () => {
    await acquire('a', 'a:1*3'); // 1 free
    expect((await acquire('heavy', 'h:1*3'))[0]).toBe(0); // queued first, needs 3
    expect((await acquire('light', 'l:1'))[0]).toBe(0); // 1 free, but the heavy head holds it
    await release('a:1*3'); // 4 free: the heavy head (3) and the light one (1) both fit
    expect(await lastWake()).toEqual(['heavy', 'light']);
    expect((await acquire('heavy', 'h:2*3'))[0]).toBe(1);
    expect((await acquire('light', 'l:2'))[0]).toBe(1);
    expect(await inUse()).toBe(4);
  });

  it('should wake by free weight and stop at the first waiter that does not fit', async () => {
    await acquire('a', 'a:1*2');
    await acquire('a', 'a:2*2'); // full
    await acquire('x', 'x:1*3');
    await acquire('y', 'y:1');
    await release('a:1*2'); // 2 free: x needs 3 and holds; y is not woken
    expect(await lastWake()).toBeUndefined();
    await release('a:2*2'); // 4 free
    expect(await lastWake()).toEqual(['x', 'y']);
  });

  it('should pass over a waiter heavier than the limit (lowered below its weight)', async () => {
    await acquire('a', 'a:1*4');
    await acquire('big', 'big:1*4');
    await acquire('small', 's:1');
    await client.set(keys.limit, '2'); // big no longer fits at all
    await release('a:1*4');
    expect(await lastWake()).toEqual(['small']);
    expect((await acquire('small', 's:2'))[0]).toBe(1);
  });

  it('should free the weight of a lapsed lease and list it again with its weight on renewal', async () => {
    await acquire('a', 'a:1*3', 150);
    expect((await acquire('b', 'b:1*2'))[0]).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await inUse()).toBe(0); // lapsed
    expect(await runScript(client, RENEW, [keys.leases, keys.epoch], [10_000, '1', 'a:1*3'])).toBe(1); // the holder lists it again
    expect(await inUse()).toBe(3);
    expect((await acquire('b', 'b:2*2'))[0]).toBe(0); // 3 + 2 > 4 again
  });

  it('should fence weighted grants after data loss until the holders list their leases again', async () => {
    const fenced = (await runScript(
      client,
      ACQUIRE,
      [keys.leases, keys.waiters, keys.waiterTtl, keys.limit, keys.epoch, keys.rate, keys.starts, keys.lastStart, keys.waiterWeights],
      ['b', 'a', 'a:1*2', 10_000, '1', channel, '1'], // seen before, epoch gone: Redis lost its data
    )) as number[];
    expect(fenced[0]).toBe(0);
    expect(fenced[2]).toBeGreaterThan(9_000);
  });
});
