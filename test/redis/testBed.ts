import { afterAll, beforeAll } from 'vitest';
import { startConcurrencyServer, type ConcurrencyServer } from './concurrencyServer.js';
import { startRedisServer, type RedisServer } from './redisServer.js';

/** A redis-server and a counting HTTP server for one spec file: started before its tests, stopped after. */
export interface TestBed {
  readonly redis: RedisServer;
  readonly http: ConcurrencyServer;
}

/**
 * Call inside a `describe`: starts `start()` (Redis in some shape) and a counting HTTP server
 * before the tests, stops both after. Returns getters usable from the tests on.
 */
export function useServersAndHttp<T>(start: () => Promise<T>, stop: (servers: T) => Promise<void>): { readonly servers: T; readonly http: ConcurrencyServer } {
  const bed: { servers?: T; http?: ConcurrencyServer } = {};
  beforeAll(async () => {
    [bed.servers, bed.http] = await Promise.all([start(), startConcurrencyServer()]);
  }, 60_000);
  afterAll(async () => {
    await bed.http?.close();
    if (bed.servers !== undefined) await stop(bed.servers);
  });
  return {
    get servers() {
      return bed.servers as T;
    },
    get http() {
      return bed.http as ConcurrencyServer;
    },
  };
}

/** Call inside a `describe`: one redis-server and a counting HTTP server (usable from the tests on). */
export function useRedisAndHttp(): TestBed {
  const bed = useServersAndHttp(() => startRedisServer(), (redis) => redis.stop());
  return {
    get redis() {
      return bed.servers;
    },
    get http() {
      return bed.http;
    },
  };
}
