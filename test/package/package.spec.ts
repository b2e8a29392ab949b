import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerSetups, installConsumers, type Consumers } from './consumers.js';
import { packageJson, packTarball, repoRoot, sourceOf, subpaths } from './packedTarball.js';

// One `npm pack` (its prepack builds dist) for every check: what is tested is what would be published.
interface AttwReport {
  readonly analysis: {
    readonly problems: readonly unknown[];
    readonly entrypoints: Record<string, { readonly resolutions: Record<string, { readonly resolution?: { readonly fileName: string } }> }>;
  };
}

let tarball: string;
let consumers: Consumers;

beforeAll(() => {
  tarball = packTarball();
  consumers = installConsumers(tarball);
}, 300_000);

afterAll(() => {
  if (tarball !== undefined) rmSync(dirname(tarball), { recursive: true, force: true });
  if (consumers !== undefined) rmSync(consumers.dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('should resolve to declarations in every TypeScript mode (attw: node10, node16 CJS and ESM, bundler)', () => {
    const attw = join(repoRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    // attw exits 1 (execFileSync throws) on any problem; the report then says which.
    const { analysis } = JSON.parse(execFileSync(process.execPath, [attw, tarball, '--format', 'json'], { encoding: 'utf8' })) as AttwReport;
    expect(analysis.problems).toEqual([]);
    const resolved = Object.entries(analysis.entrypoints).map(([subpath, entry]) => [
      subpath,
      Object.entries(entry.resolutions).map(([mode, r]) => `${mode} ${r.resolution?.fileName ?? 'unresolved'}`),
    ]);
    const base = (subpath: string): string => `/node_modules/${packageJson.name}/dist/${subpath === '.' ? '' : `${subpath.slice(2)}/`}index`;
    expect(Object.fromEntries(resolved)).toEqual({
      ...Object.fromEntries(
        subpaths.map((subpath) => [
          subpath,
          [`node10 ${base(subpath)}.d.cts`, `node16-cjs ${base(subpath)}.d.cts`, `node16-esm ${base(subpath)}.d.ts`, `bundler ${base(subpath)}.d.ts`],
        ]),
      ),
      './package.json': ['node10', 'node16-cjs', 'node16-esm', 'bundler'].map((mode) => `${mode} /node_modules/${packageJson.name}/package.json`),
    });
  }, 120_000);

  it('should pass publint with no error, warning or suggestion', async () => {
    const contents = readFileSync(tarball);
    const { messages } = await publint({ pack: { tarball: contents.buffer.slice(contents.byteOffset, contents.byteOffset + contents.byteLength) } });
    expect(messages).toEqual([]);
  });

  it('should map every entry point for node10 resolution (typesVersions), which ignores exports', () => {
    const mapped = Object.keys(packageJson.typesVersions?.['*'] ?? {}).map((name) => `./${name}`);
    expect(mapped.sort()).toEqual(subpaths.filter((s) => s !== '.').sort());
  });

  it('should take rxjs as a peer dependency, never as a dependency of its own', () => {
    expect(packageJson.dependencies?.['rxjs']).toBeUndefined();
    expect(packageJson.peerDependencies?.['rxjs']).toBeDefined();
    expect(packageJson.devDependencies?.['rxjs']).toBeDefined();
  });
});

describe.each(consumerSetups)('a consumer project ($name) with the tarball installed', (setup) => {
  it('should type-check against the published declarations, import every entry point and run', async () => {
    expect(consumers.compile(setup)).toBe('');
    const printed = JSON.parse(consumers.run(setup)) as { value: string; exports: Record<string, string[]> };
    expect(printed.value).toBe('HELLO');
    for (const subpath of subpaths) {
      const expected = Object.keys((await import(sourceOf(subpath))) as object).sort();
      expect(printed.exports[subpath], subpath).toEqual(expected);
    }
  }, 300_000); // a full type-check of the declarations with @types/node: tens of seconds on a busy machine
});
