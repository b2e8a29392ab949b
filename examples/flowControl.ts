// Flow control on one manager: a bounded queue, a provider paused and resumed, a task moved up,
// a delayed task, one AbortSignal for a group of tasks, progress from a handler, and waiting for
// idle. `npx tsx examples/flowControl.ts` runs it; test/examples/flowControl.spec.ts checks it.
import { isRight } from 'fp-ts/lib/Either.js';
import { createTaskManager, defineProvider, type TaskEvent, type TaskOutcome } from '../src/index.js';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export interface FlowReport {
  readonly startOrder: string[];
  readonly outcomes: Map<string, string>;
  readonly progress: unknown[];
  readonly refused: string[];
}

export async function runFlowControl(): Promise<FlowReport> {
  const render = defineProvider({
    name: 'render',
    servers: ['https://render.example.com'],
    maxQueued: 6, // a seventh waiting task is refused...
    overflow: 'reject', // ...with QueueFull ('drop-oldest' would drop the oldest lowest-priority one)
    handle: async (task, ctx) => {
      for (let step = 1; step <= 3; step++) {
        await sleep(5, ctx.signal);
        ctx.progress({ step, of: 3 }); // at most one event per progressIntervalMs, the latest value
      }
      return `${task.id} rendered`;
    },
  });
  const manager = createTaskManager({ providers: [render], defaultServerLimit: 1, progressIntervalMs: 10 });

  const startOrder: string[] = [];
  const progress: unknown[] = [];
  manager.events$.subscribe((e: TaskEvent) => {
    if (e.type === 'started') startOrder.push(e.id);
    if (e.type === 'progress' && e.id === 'first') progress.push(e.value);
  });
  const outcomes = new Map<string, string>();
  const refused: string[] = [];
  const submit = (input: Parameters<typeof manager.submit>[0]): void => {
    const r = manager.submit(input);
    if (isRight(r)) r.right.outcome$.subscribe((o: TaskOutcome) => outcomes.set(o.id, o._tag === 'Cancelled' ? `cancelled (${o.reason})` : o._tag));
    else refused.push(`${String(input.id)}: ${r.left._tag}`);
  };

  manager.pause('render'); // nothing starts until resume()
  submit({ provider: 'render', payload: null, id: 'first' });
  const batch = new AbortController(); // one signal for a group of tasks
  submit({ provider: 'render', payload: null, id: 'batch-1', signal: batch.signal });
  submit({ provider: 'render', payload: null, id: 'batch-2', signal: batch.signal });
  submit({ provider: 'render', payload: null, id: 'low' });
  submit({ provider: 'render', payload: null, id: 'urgent-later', priority: 1 });
  submit({ provider: 'render', payload: null, id: 'delayed', delayMs: 30 }); // waits off the queue, no slot held
  submit({ provider: 'render', payload: null, id: 'overflow' }); // the seventh: refused
  manager.setPriority('urgent-later', 10); // moves ahead of everything queued
  batch.abort('batch no longer needed'); // both batch tasks: cancelled (abort)
  manager.resume('render');

  await manager.onIdle('render');
  await manager.shutdown();
  return { startOrder, outcomes, progress, refused };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runFlowControl().then((report) => console.log(report));
}
