import { Heap } from 'heap-js';
import { finalize, type Observable } from 'rxjs';
import type { SlotCoordinator, TaskEvent, TaskManager } from '../../src/index.js';
import { normalizeServerKey } from '../../src/index.js';

/** A small seeded generator, so a failing run can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Waiting {
  readonly id: string;
  readonly lane: number;
  readonly priority: number;
  readonly seq: number;
}

const better = (a: Waiting, b: Waiting): number => a.lane - b.lane || b.priority - a.priority || a.seq - b.seq;

/**
 * Watches a manager from outside and records every broken promise:
 * - at every attempt start, the budget's running attempts stay within the limit in force;
 * - the task that starts on a budget is the best waiting task of the providers that can use it;
 * - no task ever has two attempts running at once;
 * - every accepted task gets exactly one outcome.
 */
export class InvariantChecker {
  readonly violations: string[] = [];
  readonly outcomes = new Map<string, number>();
  starts = 0;
  #seq = 0;
  readonly #meta = new Map<string, Waiting>();
  readonly #waiting = new Map<string, Heap<Waiting>>();
  readonly #waitingIds = new Set<string>();
  // Running attempts per server key; a budget's count is the sum over the servers it covers now,
  // so a limit change that moves servers between budgets is counted the way the manager counts it.
  readonly #runningByServer = new Map<string, number>();
  readonly #runningTasks = new Set<string>();

  constructor(
    readonly coordinator: SlotCoordinator,
    /** Current pools, by provider (the checker must be told about live pool changes). */
    readonly pools: Map<string, readonly string[]>,
  ) {}

  /** Call right before submitting, in submission order. */
  noteSubmit(id: string, priority: number, isCommand = false): void {
    this.#meta.set(id, { id, lane: isCommand ? 0 : 1, priority, seq: this.#seq++ });
  }

  watch(manager: TaskManager): void {
    manager.events$.subscribe((event) => this.#onEvent(event));
  }

  /** Wraps a handler's Observable so the checker sees the attempt run and end on its server. */
  track<T>(taskId: string, server: string, work: Observable<T>): Observable<T> {
    const key = normalizeServerKey(server);
    this.#runningByServer.set(key, (this.#runningByServer.get(key) ?? 0) + 1);
    const budget = this.coordinator.budgetOf(key);
    let running = 0;
    for (const [other, count] of this.#runningByServer) if (this.coordinator.budgetOf(other) === budget) running += count;
    const { limit } = this.coordinator.budget(budget);
    if (running > limit) this.violations.push(`budget ${budget}: ${running} running > limit ${limit} (task ${taskId})`);
    if (this.#runningTasks.has(taskId)) this.violations.push(`task ${taskId} has two attempts running`);
    this.#runningTasks.add(taskId);
    return work.pipe(
      finalize(() => {
        this.#runningByServer.set(key, (this.#runningByServer.get(key) ?? 1) - 1);
        this.#runningTasks.delete(taskId);
      }),
    );
  }

  #onEvent(event: TaskEvent): void {
    switch (event.type) {
      case 'waiting-for-slot': {
        const meta = this.#meta.get(event.id);
        if (meta === undefined) return;
        let heap = this.#waiting.get(event.provider);
        if (heap === undefined) this.#waiting.set(event.provider, (heap = new Heap(better)));
        heap.push(meta);
        this.#waitingIds.add(event.id);
        return;
      }
      case 'started':
        this.starts++;
        this.#waitingIds.delete(event.id);
        this.#checkBest(event.id, event.server);
        return;
      case 'succeeded':
      case 'failed':
      case 'cancelled':
        this.#waitingIds.delete(event.id);
        this.outcomes.set(event.id, (this.outcomes.get(event.id) ?? 0) + 1);
        return;
      default:
    }
  }

  #checkBest(id: string, server: string): void {
    const started = this.#meta.get(id);
    if (started === undefined) return;
    const budget = this.coordinator.budgetOf(normalizeServerKey(server));
    for (const [provider, servers] of this.pools) {
      if (!servers.some((s) => this.coordinator.budgetOf(normalizeServerKey(s)) === budget)) continue;
      const heap = this.#waiting.get(provider);
      if (heap === undefined) continue;
      let head = heap.peek();
      while (head !== undefined && !this.#waitingIds.has(head.id)) {
        heap.pop();
        head = heap.peek();
      }
      if (head !== undefined && better(head, started) < 0) {
        this.violations.push(`${id} (p${started.priority}) started on ${budget} while ${head.id} (p${head.priority}) of ${provider} waited`);
      }
    }
  }
}
