import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { coversKey, createTaskManager, localSlotCoordinator } from '../../src/index.js';
import { LimitTable } from '../../src/slots/limitTable.js';
import { normalizeLimitKey, normalizeServerKey } from '../../src/slots/serverKey.js';
import { inVirtualTime, work } from '../helpers/virtual.js';

// README, "Budget": a limit key's parts each narrow it. The scheme and host always; the port when
// one is written (the default one too: `https://h:443`); the path when one is written. One rule
// for every scheme, used by coversKey, the limit table and so both coordinators.

const cases: ReadonlyArray<readonly [limitKey: string, server: string, covers: boolean]> = [
  // A host covers every port of that host, whatever the scheme.
  ['https://api.example.com', 'https://api.example.com:8443/v1', true],
  ['https://api.example.com', 'https://api.example.com:9443/', true],
  ['https://api.example.com/', 'https://api.example.com:9443/', true],
  ['redis://cache', 'redis://cache:6379', true],
  ['http://[::1]', 'http://[::1]:8080/x', true],
  // A written port narrows it to that port, the default one included.
  ['https://api.example.com:8443', 'https://api.example.com:8443/v1', true],
  ['https://api.example.com:8443', 'https://api.example.com/', false],
  ['https://api.example.com:8443', 'https://api.example.com:9443/', false],
  ['https://api.example.com:443', 'https://api.example.com/v1', true],
  ['https://api.example.com:443', 'https://api.example.com:8443/v1', false],
  ['redis://cache:6379', 'redis://cache:6380', false],
  // A path covers its segments, on every port unless one is written.
  ['https://h/api', 'https://h:8443/api/v1', true],
  ['https://h:8443/api', 'https://h/api/v1', false],
  ['https://h/api', 'https://h:8443/api2', false],
  // Hosts and schemes stay apart.
  ['http://b', 'http://bad.example:8080/', false],
  ['http://h', 'https://h/', false],
  ['gpu', 'gpu:1', false],
];

describe('a limit key covers the ports it names, every port when it names none', () => {
  it.each(cases)('coversKey(%j, %j) is %s', (limitKey, server, covers) => {
    expect(coversKey(limitKey, server)).toBe(covers);
  });

  it.each(cases)('the limit table puts %j over %j: %s', (limitKey, server, covers) => {
    const table = new LimitTable(1);
    table.set(limitKey, 5);
    expect(table.budgetOf(normalizeServerKey(server)) === normalizeLimitKey(limitKey)).toBe(covers);
  });

  it('should hold every port of a host to the host\'s limit (not the default budget per port)', () => {
    inVirtualTime((scheduler, flush) => {
      const servers = ['https://api.example.com/', 'https://api.example.com:8443/', 'https://api.example.com:9443/'];
      const m = createTaskManager({
        scheduler,
        defaultServerLimit: 20,
        serverLimits: { 'https://api.example.com': 1 },
        providers: [{ name: 'p', servers, handle: () => work(10, 1, scheduler) }],
      });
      let running = 0;
      let most = 0;
      m.events$.subscribe((e) => {
        if (e.type === 'started') most = Math.max(most, ++running);
        if (e.type === 'succeeded') running--;
      });
      for (let i = 0; i < 6; i++) expect(isRight(m.submit({ provider: 'p', payload: i }))).toBe(true);
      flush();
      expect(most).toBe(1);
      expect(Object.keys(m.stats().servers)).toEqual(['https://api.example.com/']);
    });
  });

  it('should let a limit on one port hold that port alone', () => {
    const c = localSlotCoordinator({ defaultLimit: 20, limits: { 'https://api.example.com': 4, 'https://api.example.com:8443': 1 } });
    expect(c.budgetOf('https://api.example.com:8443/v1')).toBe('https://api.example.com:8443/');
    expect(c.budgetOf('https://api.example.com:9443/v1')).toBe('https://api.example.com/');
    expect(c.budgetOf('https://api.example.com/v1')).toBe('https://api.example.com/');
    const own = localSlotCoordinator({ defaultLimit: 20, limits: { 'https://api.example.com': 4, 'https://api.example.com:443': 2 } });
    expect(own.budgetOf('https://api.example.com/v1')).toBe('https://api.example.com:443/');
    expect(own.budget('https://api.example.com:443')).toEqual({ limit: 2, inUse: 0 });
  });
});
