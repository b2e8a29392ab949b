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

/**
 * Call inside a `describe`: one redis-server for the spec file, started before its tests and
 * stopped after. The returned handle reads the running server, so it is usable from the tests on.
 */
export function useRedis(): RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  const running = (): RedisServer => {
    if (server === undefined) throw new Error('useRedis(): the redis-server starts before the tests; read it from a test');
    return server;
  };
  return {
    get port() {
      return running().port;
    },
    get url() {
      return running().url;
    },
    start: () => running().start(),
    stop: () => running().stop(),
  };
}
