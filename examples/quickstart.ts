// The README's quick-start example, type-checked with the rest (test/readme.spec.ts keeps the two equal).
import { createTaskManager, defineProvider, type Task } from '../src/index.js';

const ai = defineProvider({
  name: 'ai',
  servers: ['https://gpu-1.internal/v1', 'https://gpu-2.internal/v1'],
  handle: (task: Task<{ prompt: string }>, ctx) =>
    fetch(`${ctx.server}/generate`, { method: 'POST', body: task.payload.prompt, signal: ctx.signal })
      .then((res) => res.text()),
});

const manager = createTaskManager({
  providers: [ai],
  serverLimits: { 'https://gpu-1.internal': 4 },         // a URL prefix: one budget for everything under it
  retry: { maxRetries: 2, backoff: { initialDelayMs: 200 } },
  timeout: 30_000,                                         // per attempt; the signal is aborted at the deadline
});

const outcome = await manager.run({ provider: 'ai', payload: { prompt: 'Hello' }, priority: 5 });
if (outcome._tag === 'Succeeded') console.log(outcome.value, 'from', outcome.server);
else if (outcome._tag === 'Failed') console.log('failed after', outcome.attempts, 'attempts:', outcome.error);
else console.log('cancelled:', outcome.reason);
await manager.shutdown();
