import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));

  it('should open with what a user types: npm install smt-rx, and ioredis for smt-rx/redis', () => {
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('```ts'));
    expect(shellBlocks[0]).toEqual(['npm install smt-rx', 'npm install ioredis   # only for smt-rx/redis']);
  });

  it('should then give the two commands for working on the repository: the demo, then the tests', () => {
    expect(shellBlocks[1]).toEqual(['npm install && npm run demo', 'npm test']);
  });

  it('should show the quick-start example exactly as examples/quickstart.ts (which tsc checks)', () => {
    const example = readFileSync(new URL('../examples/quickstart.ts', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('// '))
      .join('\n')
      .replace("from '../src/index.js';", "from 'smt-rx';");
    expect(readme).toContain('```ts\n' + example + '```');
  });
});
