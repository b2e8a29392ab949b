/** A lease id carrying its weight: `<base>*<weight>` above 1, `<base>` alone for 1 (see weightScript.ts). */
export function leaseIdOf(base: string, weight: number): string {
  return weight === 1 ? base : `${base}*${weight}`;
}

/** The weight written in a lease id. */
export function weightOfLease(id: string): number {
  const match = /\*(\d+)$/.exec(id);
  return match === null ? 1 : Number(match[1]);
}
