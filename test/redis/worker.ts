/**
 * A child process of the multi-process Redis tests: one task manager with a Redis slot
 * coordinator, whose tasks are HTTP requests to the test's concurrency server.
 *
 * Run: node --import tsx test/redis/worker.ts '<WorkerConfig JSON>'
 * Writes JSON lines (WorkerMessage) on stdout; reads JSON lines (WorkerCommand) on stdin.
 */
import { createInterface } from 'node:readline';
import { Cluster } from 'ioredis';
import { take } from 'rxjs';
import { createTaskManager, defineProvider, type RateLimit } from '../../src/index.js';
import { redisSlotCoordinator } from '../../src/redis/index.js';

export interface WorkerConfig {
  readonly redisUrl: string;
  /** ioredis options instead of the URL (Sentinel: `{ sentinels, name }`). */
  readonly redisOptions?: Readonly<Record<string, unknown>>;
  /** A Redis Cluster's nodes: the worker gives the coordinator an ioredis Cluster it owns. */
  readonly clusterNodes?: ReadonlyArray<{ host: string; port: number }>;
  readonly instanceName: string;
  readonly keyPrefix?: string;
  readonly leaseMs: number;
  readonly servers: readonly string[];
  readonly defaultLimit?: number;
  readonly limits?: Readonly<Record<string, number>>;
  /** Cluster-wide start rates (the coordinator's `rates` option). */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /** Tasks submitted at start (or on the `submit` command). */
  readonly tasks: number;
  /** How long the server holds each request, in ms. */
  readonly holdMs: number;
  /** Task weights, in turn (task i weighs weights[i % length]); 1 when absent. */
  readonly weights?: readonly number[];
}

export type WorkerCommand =
  | { readonly cmd: 'submit'; readonly count: number; readonly holdMs?: number; readonly priority?: number }
  | { readonly cmd: 'setLimit'; readonly key: string; readonly limit: number }
  | { readonly cmd: 'setRate'; readonly key: string; readonly rate: RateLimit | undefined }
  | { readonly cmd: 'rates' }
  | { readonly cmd: 'stats' }
  | { readonly cmd: 'clusterStats' }
  | { readonly cmd: 'exit' };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly name: string }
  | { readonly type: 'started'; readonly id: string; readonly server: string; readonly at: number }
  | { readonly type: 'outcome'; readonly id: string; readonly tag: string; readonly at: number }
  | { readonly type: 'error'; readonly kind: string; readonly message: string; readonly at: number }
  | { readonly type: 'stats'; readonly servers: Record<string, { limit: number; inUse: number; waiters: number }> }
  | { readonly type: 'clusterStats'; readonly budgets: Record<string, { limit: number; inUse: number; waiters: number }> }
  | { readonly type: 'rates'; readonly rates: Record<string, RateLimit> }
  | { readonly type: 'failed-to-start'; readonly message: string }
  | { readonly type: 'done' };

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const say = (message: WorkerMessage): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

async function main(): Promise<void> {
  const cluster = config.clusterNodes === undefined ? undefined : new Cluster([...config.clusterNodes]);
  cluster?.on('error', () => undefined);
  let coordinator;
  try {
    coordinator = await redisSlotCoordinator({
      redis: cluster ?? config.redisOptions ?? config.redisUrl,
      instanceName: config.instanceName,
      leaseMs: config.leaseMs,
      ...(config.keyPrefix !== undefined ? { keyPrefix: config.keyPrefix } : {}),
      ...(config.defaultLimit !== undefined ? { defaultLimit: config.defaultLimit } : {}),
      ...(config.limits !== undefined ? { limits: config.limits } : {}),
      ...(config.rates !== undefined ? { rates: config.rates } : {}),
    });
  } catch (error) {
    say({ type: 'failed-to-start', message: (error as Error).message });
    process.exit(2);
  }
  coordinator.errors$.subscribe((error) => say({ type: 'error', kind: error.kind, message: error.message, at: Date.now() }));

  const http = defineProvider({
    name: 'http',
    servers: config.servers,
    handle: async (task: { payload: { holdMs: number; weight: number } }, ctx) => {
      say({ type: 'started', id: ctx.taskId, server: ctx.server, at: Date.now() });
      const response = await fetch(`${ctx.server}?ms=${task.payload.holdMs}&who=${config.instanceName}&w=${task.payload.weight}`, { signal: ctx.signal });
      return response.text();
    },
  });
  const manager = createTaskManager({ providers: [http], coordinator, timeout: Infinity });
  let pending = 0;
  let seq = 0;
  const submit = (count: number, holdMs: number, priority = 0): void => {
    for (let i = 0; i < count; i++) {
      pending++;
      const weight = config.weights?.[seq % config.weights.length] ?? 1;
      manager.run({ provider: 'http', id: `${config.instanceName}-${seq++}`, payload: { holdMs, weight }, priority, weight }).then((outcome) => {
        say({ type: 'outcome', id: outcome.id, tag: outcome._tag, at: Date.now() });
        if (--pending === 0) say({ type: 'done' });
      });
    }
  };

  const exit = async (): Promise<void> => {
    await manager.shutdown({ mode: 'cancel', graceMs: 0 });
    await coordinator.close();
    cluster?.disconnect();
    process.exit(0);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as WorkerCommand;
    switch (command.cmd) {
      case 'submit':
        submit(command.count, command.holdMs ?? config.holdMs, command.priority);
        break;
      case 'setLimit':
        manager.setServerLimit(command.key, command.limit);
        break;
      case 'setRate':
        manager.setRateLimit(command.key, command.rate);
        break;
      case 'rates':
        say({ type: 'rates', rates: Object.fromEntries(coordinator.rates()) });
        break;
      case 'stats':
        say({ type: 'stats', servers: manager.stats().servers });
        break;
      case 'clusterStats':
        manager.clusterStats$.pipe(take(1)).subscribe((budgets) => say({ type: 'clusterStats', budgets }));
        break;
      case 'exit':
        void exit();
        break;
    }
  });
  say({ type: 'ready', name: config.instanceName });
  if (config.tasks > 0) submit(config.tasks, config.holdMs);
}

void main();
