import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redisServer.js';

const run = promisify(execFile);

/** A Redis Cluster of three primaries (each with a replica, if asked) on free loopback ports (`redis-cli --cluster create`). */
export interface ClusterSet {
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** The port of the node serving a key now. */
  ownerOf(key: string): Promise<number>;
  /** Moves the hash slot of `key`, with its keys, to the node on `toPort` (as a resharding does), while clients keep running. */
  moveSlotOf(key: string, toPort: number): Promise<void>;
  /**
   * Fails over the primary serving `key`: kills it (SIGKILL), promotes its replica at once
   * (CLUSTER FAILOVER TAKEOVER), then deletes on the new primary the keys of that slot `lost`
   * selects: the newest writes a replica can lack, as replication is asynchronous (here the test
   * makes the loss certain). Resolves with the new primary's port. Needs `replicas`.
   */
  failOver(key: string, lost: (key: string) => boolean): Promise<number>;
  stop(): Promise<void>;
}

export async function startClusterSet(options: { readonly replicas?: boolean } = {}): Promise<ClusterSet> {
  const dir = mkdtempSync(join(tmpdir(), 'smt-rx-cluster-'));
  const servers: RedisServer[] = [];
  for (let i = 0; i < (options.replicas === true ? 6 : 3); i++) {
    servers.push(await startRedisServer(undefined, { dir, args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000'] }));
  }
  const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', options.replicas === true ? '1' : '0', '--cluster-yes']);
  const admin = servers.map((s) => new Redis({ host: '127.0.0.1', port: s.port }));
  admin.forEach((node) => node.on('error', () => undefined)); // a node killed by failOver
  await waitUntilOk(admin);
  const dead = new Set<Redis>();
  const live = (): Redis => admin.find((node) => !dead.has(node))!;

  /** Port -> [node id, the id of its primary ('-' for a primary)]. */
  const nodes = async (): Promise<Map<number, [string, string]>> => {
    const found = new Map<number, [string, string]>();
    for (const line of ((await live().call('CLUSTER', 'NODES')) as string).trim().split('\n')) {
      const [id, address, , primary] = line.split(' ');
      found.set(Number(address!.split(':')[1]!.split('@')[0]), [id!, primary!]);
    }
    return found;
  };
  const nodeIds = async (): Promise<Map<number, string>> => new Map([...(await nodes())].map(([port, [id]]) => [port, id]));
  const slotOf = async (key: string): Promise<number> => (await live().call('CLUSTER', 'KEYSLOT', key)) as number;
  const adminOf = (port: number): Redis => admin[servers.findIndex((s) => s.port === port)]!;
  const set: ClusterSet = {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async ownerOf(key) {
      const slot = await slotOf(key);
      const ranges = (await live().call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
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
      for (const node of admin) if (!dead.has(node)) await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', ids.get(toPort)!);
    },
    async failOver(key, lost) {
      const slot = await slotOf(key);
      const primaryPort = await set.ownerOf(key);
      const all = await nodes();
      const primaryId = all.get(primaryPort)![0];
      const replicaPort = [...all].find(([, [, primary]]) => primary === primaryId)![0];
      dead.add(adminOf(primaryPort));
      await servers.find((s) => s.port === primaryPort)!.stop();
      const replica = adminOf(replicaPort);
      await replica.call('CLUSTER', 'FAILOVER', 'TAKEOVER');
      const deadline = Date.now() + 20_000;
      while (((await replica.call('ROLE')) as [string])[0] !== 'master') {
        if (Date.now() > deadline) throw new Error('the replica was not promoted within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const keys = (await replica.call('CLUSTER', 'GETKEYSINSLOT', slot, 1_000)) as string[];
      const dropped = keys.filter(lost);
      if (dropped.length > 0) await replica.del(...dropped);
      return replicaPort;
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
