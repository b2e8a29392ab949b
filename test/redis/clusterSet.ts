import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redisServer.js';

const run = promisify(execFile);

/** A Redis Cluster of three primaries on free loopback ports (`redis-cli --cluster create`). */
export interface ClusterSet {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The port of the node serving a key now. */
  ownerOf(key: string): Promise<number>;
  /** Moves the hash slot of `key`, with its keys, to the node on `toPort` (as a resharding does), while clients keep running. */
  moveSlotOf(key: string, toPort: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterSet(): Promise<ClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), 'smt-rx-cluster-'));
  const servers: RedisServer[] = [];
  for (let i = 0; i < 3; i++) {
    servers.push(await startRedisServer(undefined, { dir, args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000'] }));
  }
  const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
  const admin = servers.map((s) => new Redis({ host: '127.0.0.1', port: s.port }));
  await waitUntilOk(admin);

  const nodeIds = async (): Promise<Map<number, string>> => {
    const ids = new Map<number, string>();
    for (const line of ((await admin[0]!.call('CLUSTER', 'NODES')) as string).trim().split('\n')) {
      const [id, address] = line.split(' ');
      ids.set(Number(address!.split(':')[1]!.split('@')[0]), id!);
    }
    return ids;
  };
  const slotOf = async (key: string): Promise<number> => (await admin[0]!.call('CLUSTER', 'KEYSLOT', key)) as number;
  const adminOf = (port: number): Redis => admin[servers.findIndex((s) => s.port === port)]!;
  const set: ClusterSet = {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async ownerOf(key) {
      const slot = await slotOf(key);
      const ranges = (await admin[0]!.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return range![2][1];
    },
    async moveSlotOf(key, toPort) {
      const slot = await slotOf(key);
      const fromPort = await set.ownerOf(key);
      if (fromPort === toPort) return;
      const ids = await nodeIds();
      const from = adminOf(fromPort);
      const to = adminOf(toPort);
      await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids.get(fromPort)!);
      await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids.get(toPort)!);
      for (;;) {
        const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await from.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5_000, 'KEYS', ...keys);
      }
      for (const node of admin) await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids.get(toPort)!);
    },
    async stop() {
      for (const node of admin) node.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return set;
}

async function waitUntilOk(nodes: readonly Redis[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all(nodes.map(async (node) => /cluster_state:ok/.test((await node.call('CLUSTER', 'INFO')) as string)));
    if (states.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the cluster was not ok within ${timeoutMs} ms`);
}
