import { afterAll, beforeAll } from 'vitest';
import { startConcurrencyServer, type ConcurrencyServer } from './concurrencyServer.js';
import { startRedisServer, type RedisServer } from './redisServer.js';

/** A redis-server and a counting HTTP server for one spec file: started before its tests, stopped after. */
export interface TestBed {
  readonly redis: RedisServer;
  readonly http: ConcurrencyServer;
}

/** Call inside a `describe`: registers the hooks and returns the servers (usable from the tests on). */
export function useRedisAndHttp(): TestBed {
  const bed: { redis?: RedisServer; http?: ConcurrencyServer } = {};
  beforeAll(async () => {
    [bed.redis, bed.http] = await Promise.all([startRedisServer(), startConcurrencyServer()]);
  });
  afterAll(async () => {
    await bed.http?.close();
    await bed.redis?.stop();
  });
  return {
    get redis() {
      return bed.redis as RedisServer;
    },
    get http() {
      return bed.http as ConcurrencyServer;
    },
  };
}
