// Priority aging: a low-priority report waits behind a steady stream of urgent tasks, one every
// 10 ms for 10 s on a server that runs one 10 ms task at a time (no room to spare). Without aging
// the report starts only when the stream ends; with `agingMs: 100` it rises one level per 100 ms
// of waiting and starts after (5 - 0) * 100 ms. Runs in virtual time (a TestScheduler), so it
// takes milliseconds: `npx tsx examples/priorityAging.ts`; test/examples/priorityAging.spec.ts checks it.
import { TestScheduler } from 'rxjs/testing';
import { createTaskManager } from '../src/index.js';
import { virtualWork } from '../src/testing/index.js';

/** When the report started (ms of virtual time), with aging every `agingMs` or none. */
export function reportStart(agingMs: number | undefined): number | undefined {
  const scheduler = new TestScheduler(() => undefined);
  let startedAt: number | undefined;
  scheduler.run(() => {
    const manager = createTaskManager({
      scheduler,
      ...(agingMs !== undefined ? { agingMs } : {}),
      providers: [{ name: 'api', servers: ['https://api.example.com'], handle: (task) => virtualWork(10, task.id, scheduler) }],
    });
    manager.events$.subscribe((event) => {
      if (event.type === 'started' && event.id === 'report') startedAt = event.at;
    });
    for (let t = 0; t < 10_000; t += 10) {
      scheduler.schedule(() => void manager.submit({ provider: 'api', payload: t, id: `urgent-${t}`, priority: 5 }), t);
    }
    scheduler.schedule(() => void manager.submit({ provider: 'api', payload: -1, id: 'report', priority: 0 }), 1);
  });
  return startedAt;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`report starts at ${reportStart(undefined)} ms without aging, at ${reportStart(100)} ms with agingMs: 100`);
}
