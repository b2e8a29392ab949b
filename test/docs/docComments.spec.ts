import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docCommentBlocks, typecheckSnippets, type Snippet } from './typecheckSnippets.js';

const src = new URL('../../src/', import.meta.url).pathname;
const sourceFiles = (readdirSync(src, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts')).map((file) => join(src, file));
const examples: Snippet[] = sourceFiles.flatMap((file) => docCommentBlocks(readFileSync(file, 'utf8'), `src/${relative(src, file)}`));

describe('examples in the API documentation (TSDoc)', () => {
  it('should find the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(13);
  });

  it('should compile every example as written, each as a module of its own', () => {
    expect(typecheckSnippets(examples)).toEqual([]);
  }, 120_000);
});
