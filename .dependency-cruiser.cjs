// dependency-cruiser rules for src/: the layer order, no cycles, nothing from test/.
// Run by `npm run deps`, which `npm test` runs before vitest.
//
// Layers, lowest first. A layer may import itself and the layers listed in its `may`; every other
// pair becomes a forbidden rule named `<layer>-not-to-<target>` whose comment says the rule in
// words, so a failure reads as the rule it broke. src/types.ts holds only public types (no runtime
// code) and every layer except internal may import it.
//
// The barrels (src/index.ts and src/<subpath>/index.ts for every subpath of the package)
// are not bound by the layer table: they may import whatever they re-export, and only to
// re-export it (rule barrels-only-re-export). Nothing in src may import the root barrel.

/** @typedef {{ path: string, name: string, role: string, may?: string[] }} Area */

/** @type {Record<string, Area>} Every import target in src, by the name used in rule names. */
const areas = {
  internal: { path: '^src/internal/', name: 'src/internal/', role: 'leaf helpers', may: [] },
  errors: {
    path: '^src/errors/',
    name: 'src/errors/',
    role: 'error classes, option checks',
    may: ['internal', 'types'],
  },
  queues: {
    path: '^src/queues/',
    name: 'src/queues/',
    role: 'queue contracts and queues',
    may: ['internal', 'errors', 'types'],
  },
  slots: {
    path: '^src/slots/',
    name: 'src/slots/',
    role: 'slot coordinators, limit table, server keys, broker',
    may: ['internal', 'errors', 'queues', 'types'],
  },
  operators: {
    path: '^src/operators/',
    name: 'src/operators/',
    role: 'the public RxJS operators',
    may: ['internal', 'errors', 'queues', 'slots', 'types'],
  },
  streams: {
    path: '^src/streams/',
    name: 'src/streams/',
    role: 'the task manager',
    may: ['internal', 'errors', 'queues', 'slots', 'operators', 'types'],
  },
  providers: { path: '^src/providers/', name: 'src/providers/', role: 'defineProvider', may: ['types'] },
  redis: {
    path: '^src/redis/',
    name: 'src/redis/',
    role: 'the Redis coordinator',
    may: ['internal', 'errors', 'slots', 'types'],
  },
  testing: {
    path: '^src/testing/',
    name: 'src/testing/',
    role: 'test helpers for users',
    may: ['internal', 'errors', 'types'],
  },
  // The add-ons read a manager only through its public API (the types in src/types.ts), so they
  // never reach into the streams; the p-queue adapter uses only the queues.
  dashboard: {
    path: '^src/dashboard/',
    name: 'src/dashboard/',
    role: 'the live dashboard, a reader of stats$ and events$',
    may: ['types'],
  },
  otel: {
    path: '^src/otel/',
    name: 'src/otel/',
    role: 'the OpenTelemetry metrics, a reader of stats and events$',
    may: ['types'],
  },
  pqueue: {
    path: '^src/p-queue/',
    name: 'src/p-queue/',
    role: "a queueClass for p-queue on smt-rx's priority queue",
    may: ['queues'],
  },
  // Import targets only: what these two may import is ruled separately below.
  types: { path: '^src/types\\.ts$', name: 'src/types.ts', role: 'public types' },
  index: { path: '^src/index\\.ts$', name: 'src/index.ts', role: 'the root barrel' },
};

const subpaths = ['operators', 'redis', 'testing', 'dashboard', 'otel', 'p-queue'];
const barrels = ['^src/index\\.ts$', ...subpaths.map((subpath) => `^src/${subpath}/index\\.ts$`)];

/** "operators never imports streams": the rule in words, then what the layer may import. */
function layerComment(layer, target) {
  const { name, role, may } = areas[layer];
  const allowed = may.length === 0 ? 'nothing else from src' : `only ${may.map((m) => areas[m].name).join(', ')}`;
  return `${name} never imports ${areas[target].name}: ${name} (${role}) may import ${allowed}.`;
}

/** One forbidden rule per (layer, target) pair that the table does not allow. */
const layerRules = Object.entries(areas)
  .filter(([, area]) => area.may !== undefined)
  .flatMap(([layer, area]) =>
    Object.keys(areas)
      .filter((target) => target !== layer && !area.may.includes(target))
      .map((target) => ({
        name: `${layer}-not-to-${target}`,
        severity: 'error',
        comment: layerComment(layer, target),
        from: { path: area.path, pathNot: barrels },
        to: { path: areas[target].path },
      })),
  );

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'types-only-type-imports',
      severity: 'error',
      comment: 'src/types.ts never imports runtime code from src: it may only import types (import type …).',
      from: { path: '^src/types\\.ts$' },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'barrels-only-re-export',
      severity: 'error',
      comment:
        'A barrel (src/index.ts, src/*/index.ts) only re-exports (export … from …): it never imports code to use itself.',
      from: { path: barrels },
      to: { path: '^src/', dependencyTypesNot: ['export'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules in src never import each other in a cycle: move the shared part into a module both can import, or pass it in.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Library code in src never imports from test/: the tests depend on src, not the other way round.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'Every module in src is imported by something (or is a barrel that imports something): delete dead modules.',
      from: { path: '^src/', orphan: true },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'Every import in src resolves to a file or an installed package; an unresolved import would also slip past the layer rules.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Resolve the NodeNext `./x.js` specifiers to the `./x.ts` sources, as tsc does (an import
    // that does not resolve fails not-to-unresolvable).
    tsConfig: { fileName: 'tsconfig.json' },
    // Count `import type` too: a type-only import still ties one layer to another.
    tsPreCompilationDeps: true,
  },
};
