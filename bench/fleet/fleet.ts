// Runs one fleet configuration through a real task manager in virtual time and measures it.
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { createTaskManager, type ServerEvent, type TaskManagerOptions, type TaskOutcome } from '../../src/index.js';
import { percentile, seeded, SimServer, type SimServerSpec } from './sim.js';

export type Load =
  /** `outstanding` tasks always in the manager: a new one is submitted as each ends (a backlog). */
  | { readonly kind: 'closed'; readonly outstanding: number }
  /** Poisson arrivals at `perSecond`. */
  | { readonly kind: 'open'; readonly perSecond: number };

export interface FleetProvider {
  readonly name: string;
  /** Indexes into the fleet. */
  readonly servers: readonly number[];
  readonly load: Load;
}

export interface FleetConfig {
  readonly servers: readonly SimServerSpec[];
  readonly providers: readonly FleetProvider[];
  /** Manager options of the variant (limits, adaptive limits, health, choice). */
  readonly options: Partial<TaskManagerOptions>;
  readonly durationMs: number;
  /** The window the figures are measured in. */
  readonly measureFrom: number;
  readonly measureTo: number;
  readonly seed: number;
}


export interface FleetResult {
  /** Successful tasks per second in the window, in all and by provider. */
  readonly goodput: number;
  readonly goodputBy: Record<string, number>;
  /** Attempt latency (start to result) of the window's successes, ms. */
  readonly attemptP50: number;
  readonly attemptP99: number;
  /** Task latency (submission to outcome) of the window's successes, ms. */
  readonly taskP50: number;
  readonly taskP99: number;
  /** Failed attempts (server errors) in the window. */
  readonly errors: number;
  /** Tasks that failed (retries exhausted) in the window. */
  readonly failedTasks: number;
  /** Each budget's limit, once a second. */
  readonly limits: Record<string, number[]>;
  /** Attempt starts per server, and failures, over the whole run. */
  readonly servers: readonly SimServer[];
  readonly serverEvents: readonly ServerEvent[];
  /** For each server event: how many attempts had failed on its server when it was delivered. */
  readonly failuresAtEvent: readonly number[];
}

const inWindow = (at: number, c: FleetConfig): boolean => at >= c.measureFrom && at < c.measureTo;

export function runFleet(config: FleetConfig): FleetResult {
  const scheduler = new VirtualTimeScheduler(VirtualAction, config.durationMs);
  const random = seeded(config.seed);
  const fleet = config.servers.map((spec) => new SimServer(spec, scheduler, seeded(config.seed + spec.capacity * 7919 + spec.baseMs)));
  const byUrl = new Map(fleet.map((s) => [s.spec.url, s]));
  const manager = createTaskManager({
    scheduler,
    random,
    retry: { maxRetries: 2, backoff: { initialDelayMs: 50, maxDelayMs: 1_000 } },
    timeout: 10_000,
    ...config.options,
    providers: config.providers.map((p) => ({
      name: p.name,
      servers: p.servers.map((i) => (config.servers[i] as SimServerSpec).url),
      handle: (_task: unknown, ctx: { server: string }) => (byUrl.get(ctx.server) as SimServer).attempt(),
    })),
  });

  const successes = { attempt: [] as number[], task: [] as number[] };
  const goodCount: Record<string, number> = {};
  let failedTasks = 0;
  const record = (provider: string, outcome: TaskOutcome<unknown>): void => {
    const now = scheduler.now();
    if (!inWindow(now, config)) return;
    if (outcome._tag === 'Succeeded') {
      goodCount[provider] = (goodCount[provider] ?? 0) + 1;
      successes.attempt.push(outcome.value as number);
      successes.task.push(outcome.elapsedMs);
    } else if (outcome._tag === 'Failed') {
      failedTasks++;
    }
  };

  const submit = (provider: FleetProvider, onEnd?: () => void): void => {
    const result = manager.submit({ provider: provider.name, payload: null, priority: Math.floor(random() * 10) });
    if (result._tag === 'Left') return;
    result.right.outcome$.subscribe((outcome) => {
      record(provider.name, outcome);
      onEnd?.();
    });
  };

  for (const provider of config.providers) {
    const load = provider.load;
    if (load.kind === 'closed') {
      const client = (): void => submit(provider, () => scheduler.schedule(client, 0));
      for (let i = 0; i < load.outstanding; i++) client();
    } else {
      const arrive = (): void => {
        submit(provider);
        scheduler.schedule(arrive, (-Math.log(1 - random()) * 1_000) / load.perSecond);
      };
      scheduler.schedule(arrive, 0);
    }
  }

  const limits: Record<string, number[]> = {};
  const sampleLimits = (): void => {
    for (const [budget, { limit }] of Object.entries(manager.stats().servers)) (limits[budget] ??= []).push(limit);
    scheduler.schedule(sampleLimits, 1_000);
  };
  sampleLimits();

  const serverEvents: ServerEvent[] = [];
  const failuresAtEvent: number[] = [];
  manager.serverEvents$.subscribe((e) => {
    serverEvents.push(e);
    failuresAtEvent.push(fleet.find((s) => new URL(s.spec.url).href === e.budget)?.log.failed.length ?? NaN);
  });

  scheduler.flush();

  const seconds = (config.measureTo - config.measureFrom) / 1_000;
  const goodputBy = Object.fromEntries(config.providers.map((p) => [p.name, (goodCount[p.name] ?? 0) / seconds]));
  const errors = fleet.reduce((sum, s) => sum + s.log.failed.filter((at) => inWindow(at, config)).length, 0);
  return {
    goodput: Object.values(goodputBy).reduce((a, b) => a + b, 0),
    goodputBy,
    attemptP50: percentile(successes.attempt, 50),
    attemptP99: percentile(successes.attempt, 99),
    taskP50: percentile(successes.task, 50),
    taskP99: percentile(successes.task, 99),
    errors,
    failedTasks,
    limits,
    servers: fleet,
    serverEvents,
    failuresAtEvent,
  };
}
