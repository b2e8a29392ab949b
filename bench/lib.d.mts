// Types for the part of bench/lib.mjs the TypeScript benches (bench/fleet/) use.
/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number;
