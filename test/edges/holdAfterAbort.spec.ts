import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskManager, type Provider } from '../../src/index.js';

// README, "holdAfterAbortMs": with real fetch, an aborted request rejects at once, but the server
// goes on with it (GPU inference, rendering). This server works WORK_MS on every request whether
// or not its client is still there, and counts the requests it is working on.

const WORK_MS = 30;
const TIMEOUT_MS = 10;
const HOLD_MS = 80; // the server's work, plus room for the request to reach it

interface BusyServer {
  readonly url: string;
  inFlight: number;
  most: number;
  served: number;
}

describe('holding a slot after an abort, with a real node:http server and real fetch', () => {
  let server: Server;
  const busy: BusyServer = { url: '', inFlight: 0, most: 0, served: 0 };
  beforeAll(async () => {
    server = createServer((_req, res) => {
      busy.inFlight++;
      busy.most = Math.max(busy.most, busy.inFlight);
      setTimeout(() => {
        busy.inFlight--;
        busy.served++;
        res.end('done');
      }, WORK_MS);
      res.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    (busy as { url: string }).url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function crawl(requests: number, holdAfterAbortMs: number | undefined): Promise<{ most: number; failed: number }> {
    busy.most = 0;
    const provider: Provider = {
      name: 'gpu',
      servers: [busy.url],
      handle: (_task, ctx) => fetch(ctx.server, { signal: ctx.signal }).then((r) => r.text()),
      ...(holdAfterAbortMs !== undefined ? { holdAfterAbortMs } : {}),
    };
    const m = createTaskManager({ providers: [provider], serverLimits: { [busy.url]: 2 }, timeout: TIMEOUT_MS });
    const outcomes = await Promise.all(Array.from({ length: requests }, (_, i) => m.run({ provider: 'gpu', payload: i })));
    await m.shutdown();
    // Let the server finish what it still works on before the next crawl.
    while (busy.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    return { most: busy.most, failed: outcomes.filter((o) => o._tag === 'Failed').length };
  }

  it('without it, the server sees more requests at once than the limit (the slot goes back at the abort)', async () => {
    const { most, failed } = await crawl(20, undefined);
    expect(failed).toBe(20);
    expect(most).toBeGreaterThan(2);
  });

  it('with holdAfterAbortMs, 100 timed-out requests at limit 2 never put more than 2 on the server', async () => {
    const { most, failed } = await crawl(100, HOLD_MS);
    expect(failed).toBe(100);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThan(0);
  }, 30_000);
});

describe('holdAfterAbortMs in virtual time', () => {
  it('keeps a timed-out or cancelled attempt\'s slot for the hold, reports no abandon, and a forced shutdown ends it', async () => {
    const { inVirtualTime } = await import('../helpers/virtual.js');
    const { NEVER } = await import('rxjs');
    await inVirtualTime(async (scheduler, flush) => {
      const m = createTaskManager({
        scheduler,
        timeout: 10,
        providers: [{ name: 'p', servers: ['s'], holdAfterAbortMs: 50, handle: () => NEVER }],
      });
      const seen: string[] = [];
      let stoppedAt = -1;
      m.events$.subscribe({ next: (e) => seen.push(`${e.type}:${e.id}@${e.at}`), complete: () => (stoppedAt = scheduler.now()) });
      for (const id of ['a', 'b', 'c']) m.submit({ provider: 'p', payload: 1, id });
      scheduler.schedule(() => m.cancel('b'), 70);
      scheduler.schedule(() => void m.shutdown({ mode: 'cancel', graceMs: 5 }), 130);
      flush();
      expect(seen.filter((e) => !e.startsWith('queued') && !e.startsWith('waiting'))).toEqual([
        'started:a@0', 'failed:a@10', // timed out at 10; the slot is held until 60
        'started:b@60', 'cancelled:b@70', // cancelled at 70; held until 120
        'started:c@120', 'failed:c@130', // held from 130, but the shutdown's grace ends at 135
      ]);
      expect(stoppedAt).toBe(135);
    });
  });

  it('refuses a holdAfterAbortMs that is not a finite number from 0 up', () => {
    for (const bad of [-1, Infinity, NaN, '5']) {
      expect(() => createTaskManager({ providers: [{ name: 'p', servers: [], holdAfterAbortMs: bad as number, handle: () => 1 }] })).toThrow('`providers[0].holdAfterAbortMs`');
    }
  });
});
