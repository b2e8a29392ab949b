import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fencedBlocks, typecheckSnippets } from './typecheckSnippets.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README code', () => {
  it('should have TypeScript blocks to check (the extraction finds them)', () => {
    expect(fencedBlocks(readme, 'ts', 'README.md').length).toBeGreaterThanOrEqual(7);
  });

  it('should compile every fenced TypeScript block as written, each as a module of its own', () => {
    expect(typecheckSnippets(fencedBlocks(readme, 'ts', 'README.md'))).toEqual([]);
  }, 120_000);
});
