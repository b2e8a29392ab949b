// Markdown for the driver: per scenario, a table of median (min–max) over the ok runs of each
// variant, the ratio of the first (smt-rx) row to every row, and the issue's targets checked.
// With --baseline, also the ratio of each smt-rx row to its baseline twin (new / baseline).

/** Median, min and max of a metric over the ok runs; undefined when no run reported it. */
export function spread(runs, key) {
  const values = runs.filter((run) => run.ok && typeof run[key] === 'number').map((run) => run[key]);
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  const median = values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  return { median, min: values[0], max: values[values.length - 1], count: values.length };
}

export function formatValue(value, format) {
  if (format === 'rate') {
    if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
    if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  }
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

const formatRatio = (ratio) => `${ratio >= 100 ? Math.round(ratio) : ratio.toPrecision(3)}×`;

function formatSpread(stats, format) {
  if (stats === undefined) return '–';
  const median = formatValue(stats.median, format);
  if (stats.count === 1) return median;
  return `${median} (${formatValue(stats.min, format)}–${formatValue(stats.max, format)})`;
}

/** "failed: reason (n/m runs)" for a variant with failed runs, listing each distinct reason once. */
function failureNote(runs) {
  const failed = runs.filter((run) => !run.ok);
  if (failed.length === 0) return '';
  const reasons = [...new Set(failed.map((run) => run.error ?? 'no result'))].join('; ');
  return `failed: ${reasons} (${failed.length}/${runs.length} runs)`;
}

/**
 * One scenario's section. `variants` are the variants that ran (all, or the peers only) and
 * `results` maps each one's label to its runs (parsed JSON lines). The subject of ratios and
 * targets is always the scenario's first (smt-rx) variant; without it they are left out.
 * Returns the markdown, the checked targets and the new/baseline comparisons for the summaries.
 */
export function renderScenario(scenario, variants, results) {
  const subject = scenario.variants[0];
  const runsOf = (label) => results.get(label) ?? [];
  const subjectRan = variants.includes(subject);
  const ratioMetrics = subjectRan ? scenario.metrics.filter((metric) => metric.ratio) : [];
  const ratioOf = (other, key) => {
    const a = spread(runsOf(subject.label), key);
    const b = spread(runsOf(other.label), key);
    return a && b && b.median !== 0 ? a.median / b.median : undefined;
  };
  const header = ['system', ...scenario.metrics.map((m) => m.label), ...ratioMetrics.map((m) => `${subject.label} / row (${m.label})`), 'runs'];
  const rows = variants.map((v) => {
    const runs = runsOf(v.label);
    const cells = scenario.metrics.map((metric) => formatSpread(spread(runs, metric.key), metric.format));
    const ratios = ratioMetrics.map((metric) => (v === subject ? '' : formatOptionalRatio(ratioOf(v, metric.key))));
    return [v.label, ...cells, ...ratios, failureNote(runs) || `${runs.length} ok`];
  });
  const targets = scenario.targets.map((target) => checkTarget(scenario, target, runsOf, ratioOf));
  const comparisons = baselineComparisons(scenario, variants, runsOf);
  const markdown = [
    `### ${scenario.title}`,
    '',
    scenario.note,
    '',
    tableMarkdown(header, rows),
    '',
    ...(subjectRan ? targets.map((t) => `- Target: ${t.text} — **${t.status}**${t.value ? ` (${t.value})` : ''}`) : []),
    ...baselineSection(scenario, comparisons),
  ].join('\n');
  return { markdown, targets, comparisons };
}

const DIRECTION = { higher: 'higher is better', lower: 'lower is better' };

/**
 * One comparison per (smt-rx variant with a baseline twin, metric with a `better` direction):
 * both medians, new / baseline of the medians (undefined when either side has no ok run), and
 * the spread of the per-round ratios.
 */
function baselineComparisons(scenario, variants, runsOf) {
  const metrics = scenario.metrics.filter((metric) => metric.better);
  return variants
    .filter((twin) => twin.twinOf !== undefined && variants.includes(twin.twinOf))
    .flatMap((twin) =>
      metrics.map((metric) => {
        const freshRuns = runsOf(twin.twinOf.label);
        const baseRuns = runsOf(twin.label);
        const fresh = spread(freshRuns, metric.key)?.median;
        const base = spread(baseRuns, metric.key)?.median;
        const ratio = fresh !== undefined && base !== undefined && base !== 0 ? fresh / base : undefined;
        const paired = pairedRatios(freshRuns, baseRuns, metric.key);
        return { scenario: scenario.id, variant: twin.twinOf.label, metric, fresh, base, ratio, paired };
      }),
    );
}

/**
 * new / baseline per round: a row and its twin run back to back, so each round's ratio cancels the
 * drift between rounds that the medians keep; their min–max shows how far to trust the ratio.
 */
function pairedRatios(freshRuns, baseRuns, key) {
  const ratios = freshRuns.map((fresh, round) => {
    const base = baseRuns[round];
    const usable = fresh.ok && base?.ok && typeof fresh[key] === 'number' && typeof base[key] === 'number' && base[key] !== 0;
    return usable ? { ok: true, ratio: fresh[key] / base[key] } : { ok: false };
  });
  return spread(ratios, 'ratio');
}

/** "0.98× (0.68–1.30×)"; a single round has no spread to show. */
function formatPaired(stats) {
  if (stats === undefined) return '–';
  if (stats.count === 1) return formatRatio(stats.median);
  return `${formatRatio(stats.median)} (${formatRatio(stats.min).slice(0, -1)}–${formatRatio(stats.max)})`;
}

/** Per scenario: one row per smt-rx variant, one new/baseline column per metric, direction in the header. */
function baselineSection(scenario, comparisons) {
  if (comparisons.length === 0) return [];
  const metrics = [...new Set(comparisons.map((c) => c.metric))];
  const variants = [...new Set(comparisons.map((c) => c.variant))];
  const header = ['new / baseline', ...metrics.map((m) => `${m.label} (${DIRECTION[m.better]})`)];
  const cell = (c) => `${formatOptionalRatio(c.ratio)} · per round ${formatPaired(c.paired)}`;
  const rows = variants.map((variant) => [variant, ...metrics.map((m) => cell(comparisons.find((c) => c.variant === variant && c.metric === m)))]);
  const intro = 'New build / baseline build in this run, 1.00× = no change: ratio of the medians · median (min–max) of the per-round ratios:';
  return ['', intro, '', tableMarkdown(header, rows)];
}

/** The summary over all scenarios: one line per comparison, with both medians. */
export function baselineTable(comparisons) {
  const rows = comparisons.map((c) => [
    c.scenario,
    c.variant,
    c.metric.label,
    DIRECTION[c.metric.better],
    c.fresh === undefined ? '–' : formatValue(c.fresh, c.metric.format),
    c.base === undefined ? '–' : formatValue(c.base, c.metric.format),
    formatOptionalRatio(c.ratio),
    formatPaired(c.paired),
  ]);
  const header = ['scenario', 'smt-rx variant', 'metric', 'direction', 'new', 'baseline', 'new / baseline', 'per round: median (min–max)'];
  return tableMarkdown(header, rows);
}

const formatOptionalRatio = (value) => (value === undefined ? '–' : formatRatio(value));

/** A target is on the subject's median, or with `vs` on the ratio subject / that variant. */
function checkTarget(scenario, target, runsOf, ratioOf) {
  const metric = scenario.metrics.find((m) => m.key === target.metric);
  let value;
  let shown = '';
  if (target.vs === undefined) {
    value = spread(runsOf(scenario.variants[0].label), target.metric)?.median;
    if (value !== undefined) shown = `${formatValue(value, metric.format)} ${metric.label}`;
  } else {
    value = ratioOf(scenario.variants.find((v) => v.label === target.vs), target.metric);
    if (value !== undefined) shown = verdictRatio(value, target.pass);
  }
  const status = value === undefined ? 'not measured' : target.pass(value) ? 'met' : 'missed';
  return { scenario: scenario.id, text: target.text, status, value: shown };
}

/** A target's ratio as the tables round it, with more digits where that rounding would read as the other verdict (14.9996× is not 15.0×). */
function verdictRatio(value, pass) {
  for (let digits = 3; digits <= 8; digits++) {
    if (pass(Number(value.toPrecision(digits))) === pass(value)) return digits === 3 ? formatRatio(value) : `${value.toPrecision(digits)}×`;
  }
  return `${value}×`;
}

export function tableMarkdown(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function targetsTable(targets) {
  const rows = targets.map((t) => [t.scenario, t.text, t.value || '–', t.status]);
  return tableMarkdown(['scenario', 'target', 'smt-rx', 'status'], rows);
}
