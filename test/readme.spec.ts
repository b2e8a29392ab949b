import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('should start with the two commands: the demo, then the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(firstBlock?.trim().split('\n')).toEqual(['npm install && npm run demo', 'npm test']);
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
