/**
 * Logging with pino: smt-rx takes any pino-compatible logger (`debug/info/warn/error(obj, msg)`).
 *
 *   npx tsx examples/logging.ts
 *
 * Nothing is logged per task at info level. Failed attempts and timeouts are `warn`, a task that
 * finally fails is `error`, and so is a handler that ignored its aborted signal past the grace period.
 */
import { pino } from 'pino';
import { createTaskManager, type Task } from '../src/index.js';

const logger = pino({ level: 'info', base: { service: 'renderer' } });

const manager = createTaskManager({
  logger,
  timeout: 100,
  retry: { maxRetries: 1, backoff: { initialDelayMs: 20 } },
  providers: [
    {
      name: 'ssr',
      servers: ['http://node-1.internal:3000'],
      handle: async (task: Task<string>, ctx) => {
        if (task.payload === '/broken') throw new Error('render failed');
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, task.payload === '/slow' ? 1_000 : 10);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        });
        return `<html>${task.payload}</html>`;
      },
    },
  ],
});

await Promise.all(['/', '/about', '/broken', '/slow'].map((path) => manager.run({ provider: 'ssr', payload: path })));
logger.info(manager.stats().providers, 'done');
await manager.shutdown();
