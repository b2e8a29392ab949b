import { type Cluster, Redis } from 'ioredis';
import type { LuaScript } from './scripts.js';

/** An ioredis client: a single node (`Redis`) or a Redis Cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * Runs a script by SHA and falls back to sending its source when Redis does not know it yet
 * (first use, a restart, SCRIPT FLUSH): one round trip in the usual case. Scripts whose place
 * among the other commands matters are always sent whole (`keepsOrder`).
 */
export async function runScript(client: RedisClient, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  if (script.keepsOrder) return client.eval(script.source, keys.length, ...keys, ...args);
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** True when the value looks like an ioredis client (checked at the options boundary). */
export function isRedisClient(value: unknown): value is RedisClient {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['evalsha'] === 'function' && typeof v['duplicate'] === 'function' && typeof v['on'] === 'function';
}

/** Resolves once the client is connected, connecting a lazy client. */
export function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = (): void => {
      client.off('ready', onReady);
      reject(new Error('the Redis connection ended before it was ready'));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
    if (client.status === 'wait') client.connect().catch(() => undefined); // 'end' or a retry follows
  });
}

/** A client the coordinator owns (given a URL). */
export function ownClient(url: string): Redis {
  // Reconnect quickly (admission waits for it); the 'error' events are reported as one outage.
  const client = new Redis(url, { retryStrategy: (times) => Math.min(50 * times, 500) });
  client.on('error', () => undefined);
  return client;
}
