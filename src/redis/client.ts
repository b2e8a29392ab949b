import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { SchedulerLike } from 'rxjs';
import { RedisCoordinatorError } from './redisCoordinatorError.js';
import type { LuaScript } from './scripts.js';
import { withTimeout } from './withTimeout.js';

/** An ioredis client: a single node (`Redis`) or a Redis Cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/**
 * Runs a script by SHA and falls back to sending its source when Redis does not know it yet
 * (first use, a restart, SCRIPT FLUSH): one round trip in the usual case. Scripts whose place
 * among the other commands matters are always sent whole (`keepsOrder`).
 */
export async function runScript(client: RedisClient, generic: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const script = client.isCluster ? (generic.onCluster ?? generic) : generic;
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

/**
 * A client the coordinator owns (given a URL, or ioredis options such as `sentinels` + `name`).
 * It reconnects quickly (admission waits for it) and, once closed, lets the process go at once
 * (ioredis otherwise keeps a closed socket's timer for `disconnectTimeout`, 2 s). Its 'error'
 * events are reported as one outage by the connection watch.
 */
export function ownClient(spec: string | RedisOptions): Redis {
  const ours: RedisOptions = { retryStrategy: (times) => Math.min(50 * times, 500), disconnectTimeout: 100 };
  const client = typeof spec === 'string' ? new Redis(spec, ours) : new Redis({ ...ours, ...spec });
  client.on('error', () => undefined);
  return client;
}

/** Where a client connects, for messages: host:port, the sentinels and primary name, or the cluster's nodes. No password. */
export function describeAddress(client: RedisClient): string {
  if (client.isCluster) {
    const nodes = (client as Cluster).nodes('master').map((node) => `${node.options.host}:${node.options.port}`);
    return nodes.length > 0 ? `the Redis Cluster at ${nodes.join(', ')}` : 'the Redis Cluster';
  }
  const { host, port, path, sentinels, name } = (client as Redis).options;
  if (sentinels !== null && sentinels !== undefined && sentinels.length > 0) {
    return `primary ${JSON.stringify(name)} of the sentinels at ${sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(', ')}`;
  }
  return path !== undefined && path !== null ? `Redis at ${path}` : `Redis at ${host}:${port}`;
}

/** A short reason from an error: its code and message ("ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1"). */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return error === undefined ? 'no answer' : String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/** The client's errors while the coordinator starts: a failed start names the address and the last cause. */
export function trackErrors(client: RedisClient): { failure(what: string, cause?: unknown): RedisCoordinatorError; stop(): void } {
  let last: unknown = undefined;
  const onError = (error: unknown): void => void (last = error);
  client.on('error', onError);
  return {
    failure(what, cause = last) {
      return new RedisCoordinatorError('connection', `${describeAddress(client)} ${what}: ${describeCause(cause)}`, cause === undefined ? undefined : { cause });
    },
    stop: () => void client.off('error', onError),
  };
}

/** Closes a client the coordinator owns: QUIT if it answers (bounded), then drop the socket. */
export async function closeClient(client: RedisClient, scheduler: SchedulerLike): Promise<void> {
  if (client.status === 'ready') await withTimeout(client.quit(), 1_000, scheduler, () => new Error('quit timed out')).catch(() => undefined);
  client.disconnect();
}
