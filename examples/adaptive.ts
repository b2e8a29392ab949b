/**
 * Adaptive limits against real HTTP servers: three local `node:http` servers of capacities 2, 6 and
 * 12 (the manager is not told), each answering in 150 ms up to its capacity, slower past it, and
 * 503 past twice it. The manager starts every server at a limit of 2 and finds each capacity.
 *
 *   npx tsx examples/adaptive.ts
 *
 * It prints each server's limit in force once a second, then the counts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTaskManager, defineProvider, type Task } from '../src/index.js';

/** A server that runs `capacity` requests at full speed; more slow each other down, past 2× it answers 503. */
const peaks: number[] = [];

function capacityServer(capacity: number, index: number): Promise<Server> {
  let inFlight = 0;
  peaks[index] = 0;
  const server = createServer((_req, res) => {
    inFlight++;
    peaks[index] = Math.max(peaks[index] ?? 0, inFlight);
    if (inFlight > 2 * capacity) {
      inFlight--;
      res.writeHead(503).end();
      return;
    }
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, 150 * Math.max(1, inFlight / capacity));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const capacities = [2, 6, 12];
const servers = await Promise.all(capacities.map((capacity, i) => capacityServer(capacity, i)));
const urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/`);

// One request to each first: the very first ones pay for connection set-up and JIT compilation, and
// an adaptive limit learns its no-load baseline from the smoothed latency of the first attempts.
await Promise.all(urls.map((url) => fetch(url).then((res) => res.text())));

const api = defineProvider({
  name: 'api',
  servers: urls,
  handle: async (_task: Task<number>, ctx) => {
    const res = await fetch(ctx.server, { signal: ctx.signal });
    if (!res.ok) throw new Error(`${res.status} from ${ctx.server}`);
    return res.text();
  },
});

const manager = createTaskManager({
  providers: [api],
  adaptiveLimits: Object.fromEntries(urls.map((url) => [url, { min: 1, max: 32, initial: 2 }])),
  health: true,
  retry: { maxRetries: 3, backoff: { initialDelayMs: 20 } },
  timeout: 5_000,
});

const TASKS = 1_500;
const outcomes = Array.from({ length: TASKS }, (_, i) => manager.run({ provider: 'api', payload: i }));
const show = (): void => {
  const servers = manager.stats().servers;
  // The most requests each server saw at once since the last line.
  const limits = urls.map((url, i) => `capacity ${capacities[i]}: limit ${servers[url]?.limit ?? '?'} (${servers[url]?.adaptive?.reason ?? '-'}), peak ${peaks[i]}`);
  peaks.fill(0);
  console.log(limits.join('  |  '));
};
const timer = setInterval(show, 1_000);
const results = await Promise.all(outcomes);
clearInterval(timer);
show();
const succeeded = results.filter((o) => o._tag === 'Succeeded').length;
console.log(`${succeeded} of ${TASKS} succeeded, ${manager.stats().providers['api']?.retries ?? 0} retries`);
await manager.shutdown();
for (const server of servers) server.close();
