import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from './redisServer.js';

export const PRIMARY_NAME = 'smtprimary';

/**
 * A primary, one replica and three sentinels (`redis-server --sentinel`, quorum 2) on free
 * loopback ports, tuned to fail over within a few seconds of the primary's death.
 */
export interface SentinelSet {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  /** What a client is given: `{ sentinels, name }` (ioredis options). */
  readonly options: { readonly sentinels: ReadonlyArray<{ host: string; port: number }>; readonly name: string };
  /** The port of the primary the sentinels name now. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'smt-rx-sentinel-'));
  // Replication writes an RDB file: into the temp dir, not the working directory.
  const primary = await startRedisServer(undefined, { dir });
  const replica = await startRedisServer(undefined, { dir, args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const sentinels: ChildProcess[] = ports.map((port) => {
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        `dir ${dir}`,
        `sentinel monitor ${PRIMARY_NAME} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${PRIMARY_NAME} 1000`,
        `sentinel failover-timeout ${PRIMARY_NAME} 5000`,
        `sentinel parallel-syncs ${PRIMARY_NAME} 1`,
        '',
      ].join('\n'),
    );
    return spawn('redis-server', [file, '--sentinel', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  const ask = (): Redis => new Redis({ host: '127.0.0.1', port: ports[0]!, lazyConnect: true, retryStrategy: () => 50 });
  const set: SentinelSet = {
    primary,
    replica,
    options: { sentinels: ports.map((port) => ({ host: '127.0.0.1', port })), name: PRIMARY_NAME },
    async currentPrimaryPort() {
      const sentinel = ask();
      try {
        const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', PRIMARY_NAME)) as [string, string];
        return Number(port);
      } finally {
        sentinel.disconnect();
      }
    },
    async stop() {
      for (const child of sentinels) child.kill('SIGKILL');
      await Promise.all([primary.stop(), replica.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitUntilWatched(ask, ports.length);
  return set;
}

/** Until every sentinel sees the others and the replica: a failover can then be agreed on. */
async function waitUntilWatched(ask: () => Redis, sentinels: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sentinel = ask();
  sentinel.on('error', () => undefined);
  try {
    while (Date.now() < deadline) {
      try {
        const info = (await sentinel.call('SENTINEL', 'master', PRIMARY_NAME)) as string[];
        const field = (name: string): number => Number(info[info.indexOf(name) + 1]);
        if (field('num-other-sentinels') === sentinels - 1 && field('num-slaves') === 1) return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the sentinels did not see each other and the replica within ${timeoutMs} ms`);
  } finally {
    sentinel.disconnect();
  }
}
