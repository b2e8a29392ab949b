import { beforeEach, describe, expect, it } from 'vitest';
import { LimitTable } from '../../src/slots/limitTable.js';
import { normalizeServerKey } from '../../src/slots/serverKey.js';

const limits: ReadonlyArray<readonly [key: string, limit: number]> = [
  ['https://h', 10],
  ['https://h/api', 2],
  ['https://h/api/v1', 1],
  ['http://b', 3],
  ['gpu-1', 4],
];

// Server (as listed) → budget key: the longest covering limit key, else the server's own key.
const budgets: ReadonlyArray<readonly [server: string, budget: string]> = [
  ['https://h/api/v1/chat?x=1', 'https://h/api/v1'],
  ['https://h/api/v1', 'https://h/api/v1'],
  ['https://h/api/v2', 'https://h/api'],
  ['https://h/api', 'https://h/api'],
  ['https://h/api2', 'https://h/'],
  ['https://h', 'https://h/'],
  ['HTTPS://H:443/other', 'https://h/'],
  ['https://h.evil.example/api', 'https://h.evil.example/api'],
  ['http://b/x', 'http://b/'],
  ['http://bad.example', 'http://bad.example/'],
  ['gpu-1', 'gpu-1'],
  ['gpu-10', 'gpu-10'],
];

describe('LimitTable', () => {
  describe('longest prefix wins, whatever the order limits were set in', () => {
    const orders = { 'as listed': [...limits], reversed: [...limits].reverse() };

    for (const [order, entries] of Object.entries(orders)) {
      describe(order, () => {
        let table: LimitTable;
        beforeEach(() => {
          table = new LimitTable(1);
          for (const [key, limit] of entries) table.set(key, limit);
        });

        for (const [server, budget] of budgets) {
          it(`should put ${server} in the budget ${budget}`, () => {
            expect(table.budgetOf(normalizeServerKey(server))).toBe(budget);
          });
        }
      });
    }
  });

  describe('limits', () => {
    it('should give a limit key its own limit, and any other budget the default', () => {
      const table = new LimitTable(7);
      table.set('https://h/api', 2);

      expect(table.limitOf('https://h/api')).toBe(2);
      expect(table.limitOf('https://h/api/v1')).toBe(7);
      expect(table.limitOf('gpu-1')).toBe(7);
    });

    it('should keep 0 and Infinity as given', () => {
      const table = new LimitTable(1);
      table.set('paused', 0);
      table.set('open', Infinity);

      expect(table.limitOf('paused')).toBe(0);
      expect(table.limitOf('open')).toBe(Infinity);
    });

    it('should normalise limit keys on set, so spellings of one key share one entry', () => {
      const table = new LimitTable(1);
      table.set('https://h/api?token=1#frag', 3);
      table.set('HTTPS://bot@H/api#x', 4);

      expect([...table.entries()]).toEqual([['https://h/api', 4]]);
      expect(table.budgetOf('https://h/api/v1')).toBe('https://h/api');
      expect(table.limitOf('https://h/api')).toBe(4);
    });

    it('should add the root path to a bare-origin limit key', () => {
      const table = new LimitTable(1);
      table.set('https://h.example.com', 5);

      expect([...table.entries().keys()]).toEqual(['https://h.example.com/']);
      expect(table.budgetOf('https://h.example.com/')).toBe('https://h.example.com/');
    });

    it('should update a limit in place without changing budgets', () => {
      const table = new LimitTable(1);
      table.set('https://h/api', 2);
      table.set('https://h/api', 9);

      expect(table.budgetOf('https://h/api/v1')).toBe('https://h/api');
      expect(table.limitOf('https://h/api')).toBe(9);
    });
  });

  describe('remove()', () => {
    let table: LimitTable;
    beforeEach(() => {
      table = new LimitTable(1);
      for (const [key, limit] of limits) table.set(key, limit);
    });

    const fallbacks: ReadonlyArray<readonly [removed: string[], server: string, budget: string, limit: number]> = [
      [['https://h/api/v1'], 'https://h/api/v1/chat', 'https://h/api', 2],
      [['https://h/api/v1', 'https://h/api'], 'https://h/api/v1/chat', 'https://h/', 10],
      [['https://h/api/v1', 'https://h/api', 'https://h'], 'https://h/api/v1/chat', 'https://h/api/v1/chat', 1],
      [['https://h/api'], 'https://h/api/v1/chat', 'https://h/api/v1', 1],
      [['https://h/api'], 'https://h/api/v2', 'https://h/', 10],
      [['gpu-1'], 'gpu-1', 'gpu-1', 1],
    ];

    for (const [removed, server, budget, limit] of fallbacks) {
      it(`should fall back to ${budget} for ${server} after removing ${removed.join(', ')}`, () => {
        for (const key of removed) expect(table.remove(key)).toBe(true);

        expect(table.budgetOf(normalizeServerKey(server))).toBe(budget);
        expect(table.limitOf(budget)).toBe(limit);
      });
    }

    it('should normalise the key it removes', () => {
      expect(table.remove('HTTPS://H/api?x=1')).toBe(true);

      expect(table.entries().has('https://h/api')).toBe(false);
      expect(table.budgetOf('https://h/api/v2')).toBe('https://h/');
    });

    it('should return false and change nothing for a key that has no limit', () => {
      expect(table.remove('https://h/nothing')).toBe(false);

      expect(table.entries().size).toBe(limits.length);
      expect(table.budgetOf('https://h/api/v2')).toBe('https://h/api');
    });
  });
});
