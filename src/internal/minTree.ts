/**
 * A fixed-size array of numbers that answers "the smallest value" and "the first index from `from`
 * whose value is at most `bound`" in O(log n), with O(log n) updates (a segment tree of minima).
 * Empty slots hold Infinity.
 */
export class MinTree {
  readonly size: number;
  /** Node 1 is the root; node k has children 2k and 2k + 1; leaves start at `#width`. */
  readonly #nodes: Float64Array;
  readonly #width: number;

  constructor(size: number) {
    let width = 1;
    while (width < size) width *= 2;
    this.size = size;
    this.#width = width;
    this.#nodes = new Float64Array(2 * width).fill(Infinity);
  }

  get min(): number {
    return this.#nodes[1] as number;
  }

  get(index: number): number {
    return this.#nodes[this.#width + index] as number;
  }

  set(index: number, value: number): void {
    const nodes = this.#nodes;
    let node = this.#width + index;
    if (nodes[node] === value) return;
    nodes[node] = value;
    for (node >>= 1; node >= 1; node >>= 1) {
      const least = Math.min(nodes[2 * node] as number, nodes[2 * node + 1] as number);
      if (nodes[node] === least) return;
      nodes[node] = least;
    }
  }

  /** Sets every value at once (O(n)). */
  fill(valueAt: (index: number) => number): void {
    const nodes = this.#nodes;
    const width = this.#width;
    for (let i = 0; i < this.size; i++) nodes[width + i] = valueAt(i);
    for (let node = width - 1; node >= 1; node--) nodes[node] = Math.min(nodes[2 * node] as number, nodes[2 * node + 1] as number);
  }

  /** The first index >= `from` whose value is <= `bound`, or -1. */
  firstAtMost(from: number, bound: number): number {
    return from >= this.size ? -1 : this.#first(1, 0, this.#width - 1, from, bound);
  }

  /** The same, wrapping round to 0 when nothing from `from` on qualifies. */
  nextAtMost(from: number, bound: number): number {
    const found = this.firstAtMost(from, bound);
    return found >= 0 || from === 0 ? found : this.firstAtMost(0, bound);
  }

  #first(node: number, low: number, high: number, from: number, bound: number): number {
    if (high < from || (this.#nodes[node] as number) > bound) return -1;
    if (low === high) return low;
    const middle = (low + high) >> 1;
    const left = this.#first(2 * node, low, middle, from, bound);
    return left >= 0 ? left : this.#first(2 * node + 1, middle + 1, high, from, bound);
  }
}
