/** Text helpers for the demo's output: glyphs that the terminal can show, names, tables, numbers. */

/**
 * Whether the terminal shows UTF-8: a UTF-8 locale (LC_ALL, then LC_CTYPE, then LANG), or Windows
 * Terminal / VS Code, which always do. Anything else (LANG=C, a bare Windows console) gets ASCII.
 */
function showsUnicode(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform === 'win32') return env['WT_SESSION'] !== undefined || env['TERM_PROGRAM'] === 'vscode';
  const locale = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
  return /utf-?8/i.test(locale);
}

const UNICODE = {
  full: '█', empty: '░', bar: '│', rule: '─', dot: '·', arrow: '→', dash: '–',
  failed: '✗', cancel: '⊘', command: '⚙', spike: '↯', shared: '*',
};
const ASCII: typeof UNICODE = {
  full: '#', empty: '.', bar: '|', rule: '-', dot: '-', arrow: '->', dash: '-',
  failed: 'x', cancel: '/', command: '@', spike: '!', shared: '*',
};

/** The demo's symbols, in Unicode or in plain ASCII when the terminal is not UTF-8. */
export const glyph: typeof UNICODE = showsUnicode() ? UNICODE : ASCII;

/** `https://gpu-2.internal/` -> `gpu-2`: the first label of the host, and the path if any. */
export function shortName(serverOrKey: string): string {
  try {
    const url = new URL(serverOrKey);
    const path = url.pathname === '/' ? '' : url.pathname;
    return `${url.hostname.split('.')[0] ?? url.hostname}${path}`;
  } catch {
    return serverOrKey;
  }
}

/** A plain-text table: numbers (and durations) right-aligned, text left-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => /^([\d./]+( ms| s)?|-|–)$/.test(row[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  const rule = widths.map((w) => glyph.rule.repeat(w)).join(glyph.rule.repeat(3));
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** 74 ms, 1.9 s. */
export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return glyph.dash;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
