import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedVersion, repoRoot, specifierOf, subpaths } from './packedTarball.js';

/** A TypeScript setup a user may have: how it resolves and emits, and how its output runs. */
export interface ConsumerSetup {
  readonly name: string;
  readonly packageType: 'module' | 'commonjs';
  readonly compilerOptions: Readonly<Record<string, string | boolean>>;
}

export const consumerSetups: readonly ConsumerSetup[] = [
  { name: 'esm-node16', packageType: 'module', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  // Reads the same .d.ts files as node16 ESM, which checks them already: only its resolution is new.
  { name: 'bundler', packageType: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true } },
  // TypeScript's classic CommonJS setup: node10 resolution, which ignores `exports`.
  { name: 'cjs-node10', packageType: 'commonjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node10' } },
];

/**
 * One source for every setup (no top-level await, so CommonJS compiles it too): it imports every
 * entry point, prints the names each one exports at runtime, and runs a typed task whose result
 * type must flow from the provider to the outcome through the published declarations.
 */
function consumerSource(): string {
  const imports = subpaths.map((subpath, i) => `import * as entry${i} from '${specifierOf(subpath)}';`);
  // A CommonJS namespace import (esModuleInterop) adds `default`, the module.exports object itself.
  const entries = subpaths.map((subpath, i) => `  ${JSON.stringify(subpath)}: Object.keys(entry${i}).filter((k) => k !== 'default').sort(),`);
  return `${imports.join('\n')}
import { createTaskManager, defineProvider, type Task } from 'smt-rx';

const shout = defineProvider({
  name: 'shout',
  servers: ['local'],
  handle: (task: Task<{ text: string }>) => task.payload.text.toUpperCase(),
});
const manager = createTaskManager({ providers: [shout] });
manager
  .run({ provider: 'shout', payload: { text: 'hello' } })
  .then(async (outcome) => {
    const value: string = outcome._tag === 'Succeeded' ? outcome.value : outcome._tag;
    await manager.shutdown();
    console.log(JSON.stringify({ value, exports: {
${entries.join('\n')}
    } }));
  });
`;
}

export interface Consumers {
  readonly dir: string;
  /** Type-checks (declaration files included) and emits one setup; returns tsc's output. */
  compile(setup: ConsumerSetup): string;
  /** Runs one setup's emitted program; returns what it printed. */
  run(setup: ConsumerSetup): string;
}

/**
 * Throwaway consumer projects sharing one node_modules, into which the tarball is installed the way
 * a user installs it (with rxjs beside it, since it is a peer dependency, ioredis for
 * `smt-rx/redis` and @opentelemetry/api for `smt-rx/otel`). Versions match the repository's, so npm takes them from its cache.
 */
export function installConsumers(tarball: string): Consumers {
  const dir = mkdtempSync(join(tmpdir(), 'smt-rx-consumers-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumers', private: true }));
  const peers = ['rxjs', 'ioredis', '@opentelemetry/api', '@types/node'].map((name) => `${name}@${installedVersion(name)}`);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, ...peers], {
    cwd: dir,
    stdio: 'pipe',
  });
  const source = consumerSource();
  for (const setup of consumerSetups) {
    const project = join(dir, setup.name);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: setup.name, private: true, type: setup.packageType }));
    writeFileSync(join(project, 'index.ts'), source);
    // skipLibCheck off: the published declarations themselves are type-checked.
    const compilerOptions = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, esModuleInterop: true, skipLibCheck: false, outDir: 'out', ...setup.compilerOptions };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2));
  }
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  return {
    dir,
    compile: (setup) => {
      const result = spawnSync(process.execPath, [tsc, '-p', join(dir, setup.name)], { encoding: 'utf8' });
      return `${result.stdout}${result.stderr}`;
    },
    run: (setup) => execFileSync(process.execPath, [join(dir, setup.name, 'out', 'index.js')], { encoding: 'utf8' }),
  };
}
