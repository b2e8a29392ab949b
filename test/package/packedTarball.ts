import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly exports: Readonly<Record<string, unknown>>;
  readonly typesVersions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;

/** The public entry points, as `exports` lists them: `.`, `./operators`, … (not `./package.json`). */
export const subpaths = Object.keys(packageJson.exports).filter((key) => !key.endsWith('.json'));

/** The source module behind an entry point (`.` → src/index.ts, `./x` → src/x/index.ts). */
export const sourceOf = (subpath: string): string =>
  join(repoRoot, 'src', subpath === '.' ? 'index.ts' : `${subpath.slice(2)}/index.ts`);

/** The specifier a user writes: `smt-rx`, `smt-rx/operators`, … */
export const specifierOf = (subpath: string): string =>
  subpath === '.' ? packageJson.name : `${packageJson.name}/${subpath.slice(2)}`;

/**
 * Packs the repository exactly as `npm publish` would (the `prepack` script builds `dist`) into a
 * fresh temporary directory, and returns the tarball's path.
 */
export function packTarball(): string {
  const destination = mkdtempSync(join(tmpdir(), 'smt-rx-pack-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: repoRoot, stdio: 'ignore' });
  const tarballs = readdirSync(destination).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${destination}`);
  return join(destination, tarballs[0]!);
}

/** Installed version of a dev dependency, so consumers get the same one (from npm's cache). */
export const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
