/**
 * Reporter (pure): what the HTML report shows, as data. One or more bench results (in the order
 * given: a CI history reads oldest first) become chart specifications — series of plain numbers
 * that the page's script hands to the chart library — and the tables beside them. The encoded HDR
 * histograms are decoded here, in Node, so the page embeds percentile series, never a histogram
 * or a decoder.
 *
 * Charts (issue 12): latency by percentile on HdrHistogram's axis (x = 1/(1−p), log), corrected
 * and uncorrected for an open loop; speed-ups with their intervals; throughput and p99 over time;
 * latency against throughput when concurrency is swept; across results, the same paths side by
 * side and a trend, with the gate's verdict against a baseline.
 */
import type { GateReport, Verdict } from '../measure/gate.js';
import { LatencyHistogram } from '../measure/histogram.js';
import type { IntervalSample } from '../measure/intervals.js';
import { foldTrials, runConcurrency, type BenchResult, type Comparison, type LoopMode, type MeasuredComparison, type PathResult } from '../measure/result.js';

/** One bench result to report, with what was derived from it. */
export interface HtmlRun {
  /** How the page names it: a file name, or "this run". */
  label: string;
  result: BenchResult;
  comparisons: readonly Comparison[];
  /** Its verdict against the baseline, when there is one (and it is not the baseline itself). */
  gate?: GateReport;
}

export interface HtmlReportInput {
  /** In the order given; the last is the one reported in detail. At least one. */
  runs: readonly HtmlRun[];
  /** The label of the baseline the gates were computed against (a run above, or a file). */
  baselineLabel?: string;
  /** perfbench's version, shown in the footer. */
  version?: string;
}

/** One line (or set of points) of a chart. */
export interface ChartSeries {
  label: string;
  /** Index into the page's palette: a path keeps its colour on every chart. */
  color: number;
  /** Drawn dashed (uncorrected latency, p50 beside p99). */
  dash?: boolean;
  /** Points only, no line between them. */
  pointsOnly?: boolean;
  /** [x, y]; y null is a gap. */
  points: Array<[number, number | null]>;
  /** Speed-ups: [x, low, high] of each point's interval. */
  whiskers?: Array<[number, number, number]>;
  /** Knee: the concurrency of each point, drawn beside it. */
  pointLabels?: string[];
}

export interface ChartAxis {
  label: string;
  log?: boolean;
  /** Fixed tick positions and their labels (percentiles, categories). */
  ticks?: Array<[number, string]>;
}

export type ChartKind = 'percentiles' | 'speedups' | 'throughput-time' | 'latency-time' | 'knee' | 'trend';

/** A chart: the page's script draws it; `table` holds the same numbers for reading and copying. */
export interface ChartSpec {
  id: string;
  kind: ChartKind;
  title: string;
  /** One sentence under the title: how to read it. */
  note: string;
  x: ChartAxis;
  y: ChartAxis;
  series: ChartSeries[];
  /** A horizontal reference line (1x on a speed-up chart). */
  refY?: number;
  /** Each series has its own x values, joined in the order given (the knee), not sorted by x. */
  ownX?: boolean;
  /** The numbers drawn; absent when the next chart's table holds them too (a pair drawn from one set of intervals). */
  table?: Table;
}

/** A table of formatted cells; the first column heads the rows. */
export interface Table {
  columns: string[];
  rows: string[][];
  /** Per row, a CSS class for the row (verdict colours). */
  rowClass?: Array<string | undefined>;
}

/** The page as data: the JSON embedded in the page is `charts` (see `pageData`). */
export interface ReportModel {
  title: string;
  subtitle: string;
  charts: Map<string, ChartSpec>;
}

/** The palette's size; the page defines as many colours. */
export const PALETTE_SIZE = 8;

const PERCENTILE_TICKS: Array<[number, string]> = [
  [1, '0%'], [2, '50%'], [10, '90%'], [100, '99%'], [1e3, '99.9%'], [1e4, '99.99%'], [1e5, '99.999%'], [1e6, '99.9999%'],
];
/** Ten steps per decade of 1/(1−p), landing on every labelled percentile and on 75% (4) and 80% (5). */
const DECADE_STEPS = [1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8];
/** The percentiles the tables give (each is a point of the curve), then the max. */
const TABLE_PERCENTILES = [50, 90, 99, 99.9, 99.99, 99.999];

/** Rounds to `digits` significant digits (HDR histograms keep 3; one more keeps lines smooth). */
export function sig(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

/** ms with three significant digits for a cell: 0.119, 2.59, 65.6, 1,235. */
export function msCell(us: number | undefined): string {
  if (us === undefined) return '—';
  const ms = us / 1000;
  if (ms === 0) return '0';
  if (ms < 0.001) return '<0.001';
  if (ms >= 100) return int(ms);
  return ms.toFixed(ms >= 10 ? 1 : ms >= 1 ? 2 : 3);
}

export function int(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  return sign + Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function rateCell(opsPerSec: number): string {
  return opsPerSec < 10 ? opsPerSec.toFixed(1) : int(opsPerSec);
}

export function ratioCell(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  if (ratio >= 100) return `${int(ratio)}x`;
  return `${ratio.toFixed(ratio >= 10 ? 1 : 2)}x`;
}

/** The x of percentile p (0–100) on HdrHistogram's axis: 1/(1−p). */
export function percentileX(p: number): number {
  return 1 / (1 - p / 100);
}

/** A path at one concurrency: what a chart groups by. */
interface Group {
  mode: LoopMode;
  concurrency: number;
  key: string;
  /** `closed loop, concurrency 4`, `open loop at 200 ops/s, bound 16`. */
  title: string;
}

function groupOf(p: PathResult): Group {
  const c = runConcurrency(p);
  const title = p.mode === 'open'
    ? `open loop${p.ratePerSec ? ` at ${rateCell(p.ratePerSec)} ops/s` : ''}, at most ${c} outstanding`
    : `closed loop, concurrency ${c}`;
  return { mode: p.mode, concurrency: p.concurrency, key: `${p.mode}-${c}`, title };
}

/** Paths that have a latency to draw: the no-op path measures the harness (its latency rounds to 0 µs). */
const charted = (p: PathResult): boolean => p.kind !== 'noop' && p.ops > 0;

/** Groups in first-seen order, each with its paths. */
function groups(paths: readonly PathResult[]): Array<{ group: Group; paths: PathResult[] }> {
  const out = new Map<string, { group: Group; paths: PathResult[] }>();
  for (const p of paths) {
    const group = groupOf(p);
    const entry = out.get(group.key) ?? { group, paths: [] };
    entry.paths.push(p);
    out.set(group.key, entry);
  }
  return [...out.values()];
}

/** A stable colour per path name, in order of first appearance over every run. */
function colours(runs: readonly HtmlRun[]): (name: string) => number {
  const order: string[] = [];
  for (const run of runs) for (const p of run.result.paths) if (!order.includes(p.name)) order.push(p.name);
  return (name) => Math.max(order.indexOf(name), 0) % PALETTE_SIZE;
}

/**
 * The percentile curve of an encoded histogram on HdrHistogram's axis: ten points per decade of
 * 1/(1−p), up to what `count` values resolve (1/(1−p) ≤ count), in ms.
 */
export function percentileCurve(encoded: string): { points: Array<[number, number]>; at: (p: number) => number; count: number; maxUs: number } {
  const h = LatencyHistogram.decode(encoded);
  try {
    const count = h.totalCount;
    const points: Array<[number, number]> = [];
    for (let decade = 1; decade <= 1e9 && count > 0; decade *= 10) {
      let done = false;
      for (const step of DECADE_STEPS) {
        const x = decade * step;
        if (x > count) {
          done = true;
          break;
        }
        points.push([x, sig(h.valueAtPercentile(100 * (1 - 1 / x)) / 1000)]);
      }
      if (done) break;
    }
    const values = new Map<number, number>();
    for (const p of TABLE_PERCENTILES) values.set(p, h.valueAtPercentile(p));
    return { points, at: (p) => values.get(p) ?? h.valueAtPercentile(p), count, maxUs: h.valueAtPercentile(100) };
  } finally {
    h.destroy();
  }
}

/** The ticks of a percentile axis, up to the largest x drawn. */
function percentileTicks(maxX: number): Array<[number, string]> {
  return PERCENTILE_TICKS.filter(([x], i) => i === 0 || x <= Math.max(maxX, 100));
}

/** A percentile table: the marked percentiles that `count` values resolve, then the max. */
function percentileTable(columns: string[], curves: Array<ReturnType<typeof percentileCurve>>): Table {
  const maxCount = Math.max(0, ...curves.map((c) => c.count));
  const rows: string[][] = [];
  for (const p of TABLE_PERCENTILES) {
    if (percentileX(p) > maxCount && p > 99) break;
    rows.push([`p${p}`, ...curves.map((c) => (percentileX(p) <= c.count || p <= 99 ? msCell(c.at(p)) : '—'))]);
  }
  rows.push(['max', ...curves.map((c) => msCell(c.maxUs))]);
  rows.push(['count', ...curves.map((c) => int(c.count))]);
  return { columns: ['Percentile', ...columns.map((c) => `${c} (ms)`)], rows };
}

function idOf(...parts: Array<string | number>): string {
  return parts.join('-').replace(/[^A-Za-z0-9_-]+/g, '_');
}

/** Latency by percentile, one chart per loop and concurrency, every charted path on it. */
function percentileCharts(run: HtmlRun, colour: (name: string) => number, prefix: string): ChartSpec[] {
  return groups(foldTrials(run.result.paths).filter(charted)).map(({ group, paths }) => {
    const series: ChartSeries[] = [];
    const curves: Array<ReturnType<typeof percentileCurve>> = [];
    const columns: string[] = [];
    for (const p of paths) {
      const open = p.uncorrected !== undefined;
      const curve = percentileCurve(p.histogram);
      series.push({ label: open ? `${p.name} (corrected)` : p.name, color: colour(p.name), points: curve.points });
      curves.push(curve);
      columns.push(open ? `${p.name} corrected` : p.name);
      if (p.uncorrected) {
        const raw = percentileCurve(p.uncorrected.histogram);
        series.push({ label: `${p.name} (uncorrected)`, color: colour(p.name), dash: true, points: raw.points });
        curves.push(raw);
        columns.push(`${p.name} uncorrected`);
      }
    }
    const open = group.mode === 'open';
    return {
      id: idOf(prefix, 'latency', group.key),
      kind: 'percentiles',
      title: `Latency by percentile — ${group.title}`,
      note: open
        ? 'Open loop: solid lines are measured from each operation\'s intended start (coordinated omission corrected), dashed ones from its actual send. The x axis is 1/(1−p) on a log scale, so the tail is as wide as the median.'
        : 'Closed loop: latency from each operation\'s actual start (a stall is recorded once). The x axis is 1/(1−p) on a log scale, so the tail is as wide as the median.',
      x: { label: 'Percentile', log: true, ticks: percentileTicks(Math.max(...curves.map((c) => c.points.at(-1)?.[0] ?? 1))) },
      y: { label: 'Latency (ms)', log: true },
      series,
      table: percentileTable(columns, curves),
    } satisfies ChartSpec;
  });
}

/** Speed-ups with their intervals, one chart per loop and concurrency. */
function speedupCharts(run: HtmlRun, prefix: string): ChartSpec[] {
  const byGroup = new Map<string, Comparison[]>();
  for (const c of run.comparisons) {
    const key = `${c.mode}-${c.concurrency}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), c]);
  }
  return [...byGroup.entries()].map(([key, comparisons]) => {
    const measured = comparisons.filter((c): c is MeasuredComparison => c.method !== 'none');
    const ticks: Array<[number, string]> = measured.map((c, i) => [i + 1, `${c.path} vs ${c.baseline}`]);
    const p50: ChartSeries = { label: 'p50 speed-up', color: 0, pointsOnly: true, points: [], whiskers: [] };
    const p99: ChartSeries = { label: 'p99 speed-up', color: 1, pointsOnly: true, points: [], whiskers: [] };
    measured.forEach((c, i) => {
      p50.points.push([i + 1 - 0.12, sig(c.p50.estimate)]);
      p50.whiskers!.push([i + 1 - 0.12, sig(c.p50.low), sig(c.p50.high)]);
      p99.points.push([i + 1 + 0.12, sig(c.p99.estimate)]);
      p99.whiskers!.push([i + 1 + 0.12, sig(c.p99.low), sig(c.p99.high)]);
    });
    const first = comparisons[0]!;
    const rows = comparisons.map((c) => c.method === 'none'
      ? [`${c.path} vs ${c.baseline}`, '—', '—', '—', '—', `no speed-up: ${c.reason}`]
      : [`${c.path} vs ${c.baseline}`, ratioCell(c.p50.estimate), `${ratioCell(c.p50.low)}–${ratioCell(c.p50.high)}`, ratioCell(c.p99.estimate),
        `${ratioCell(c.p99.low)}–${ratioCell(c.p99.high)}`, c.method === 'trials' ? `median of ${c.trials} trials, min–max` : `bootstrap ${Math.round((c.confidence ?? 0.95) * 100)}% (${int(c.resamples ?? 0)} resamples)`]);
    const title = first.mode === 'open' ? `open loop, at most ${first.concurrency} outstanding` : `closed loop, concurrency ${first.concurrency}`;
    return {
      id: idOf(prefix, 'speedups', key),
      kind: 'speedups',
      title: `Speed-ups — ${title}`,
      note: 'Baseline latency divided by the path\'s (2x = twice as fast), on a log scale; the whiskers are the interval. Above the 1x line the path is faster.',
      x: { label: 'Pair', ticks },
      y: { label: 'Times faster', log: true },
      series: measured.length ? [p50, p99] : [],
      refY: 1,
      table: { columns: ['Pair', 'p50', 'p50 interval', 'p99', 'p99 interval', 'Method'], rows },
    } satisfies ChartSpec;
  });
}

/**
 * The intervals drawn on the over-time charts. Only the last interval of a trial can be shorter than
 * the nominal one (every other closes at or after its boundary), and such a sliver — the run ended
 * just after a boundary — holds a few operations in a few milliseconds, which is no rate: intervals
 * under half the nominal length are left out, unless nothing else is left (a fast path whose whole
 * trial fit in one). The table keeps them all.
 */
function drawable(points: readonly IntervalSample[], intervalMs: number): IntervalSample[] {
  const full = points.filter((s) => s.endMs - s.startMs >= intervalMs / 2);
  return full.length > 0 ? full : [...points];
}

/** Throughput and p99 over time, per loop and concurrency (trials one after the other). */
function overTimeCharts(run: HtmlRun, colour: (name: string) => number, prefix: string): ChartSpec[] {
  const out: ChartSpec[] = [];
  for (const { group, paths } of groups(foldTrials(run.result.paths).filter((p) => charted(p) && p.samples && p.samples.points.length > 0))) {
    const throughput: ChartSeries[] = [];
    const latency: ChartSeries[] = [];
    const rows: string[][] = [];
    const trials = run.result.paths.filter((p) => p.name === paths[0]!.name && p.concurrency === group.concurrency && p.mode === group.mode).length;
    for (const p of paths) {
      const samples = p.samples!;
      const points = drawable(samples.points, samples.intervalMs);
      throughput.push({
        label: p.name,
        color: colour(p.name),
        points: points.map((s) => [sig(s.endMs / 1000), s.endMs > s.startMs && s.ops > 0 ? sig((s.ops * 1000) / (s.endMs - s.startMs)) : null]),
      });
      latency.push({ label: `${p.name} p99`, color: colour(p.name), points: points.map((s) => [sig(s.endMs / 1000), s.p99Us === undefined ? null : sig(s.p99Us / 1000)]) });
      for (const s of samples.points) {
        rows.push([p.name, (s.startMs / 1000).toFixed(2), (s.endMs / 1000).toFixed(2), int(s.ops), int(s.errors),
          s.endMs > s.startMs ? rateCell((s.ops * 1000) / (s.endMs - s.startMs)) : '—', msCell(s.p50Us), msCell(s.p99Us)]);
      }
    }
    const worst = paths.some((p) => p.samples!.percentiles === 'worst-source');
    const trialNote = trials > 1 ? ` The ${trials} trials follow one another (their measured phases only).` : '';
    const table: Table = { columns: ['Path', 'From (s)', 'To (s)', 'Ops', 'Errors', 'ops/s', 'p50 (ms)', 'p99 (ms)'], rows };
    out.push({
      id: idOf(prefix, 'throughput', group.key),
      kind: 'throughput-time',
      title: `Throughput over time — ${group.title}`,
      note: `Operations per second in each interval of the measured phase, log scale.${trialNote} The numbers are under the next chart.`,
      x: { label: 'Measured time (s)' },
      y: { label: 'ops/s', log: true },
      series: throughput,
    });
    out.push({
      id: idOf(prefix, 'p99time', group.key),
      kind: 'latency-time',
      title: `p99 latency over time — ${group.title}`,
      note: `The p99 of each interval's own operations, log scale${worst ? ' (merged sources: the worst source\'s p99, an upper bound)' : ''}; a stall shows as one long, slow interval.${trialNote}`,
      x: { label: 'Measured time (s)' },
      y: { label: 'p99 (ms)', log: true },
      series: latency,
      table,
    });
  }
  return out;
}

/** Latency against throughput across the concurrency levels of each loop, when there are several. */
function kneeCharts(run: HtmlRun, colour: (name: string) => number, prefix: string): ChartSpec[] {
  const folded = foldTrials(run.result.paths).filter(charted);
  const out: ChartSpec[] = [];
  for (const mode of ['closed', 'open'] as const) {
    const paths = folded.filter((p) => p.mode === mode);
    if (new Set(paths.map((p) => p.concurrency)).size < 2) continue;
    const names = [...new Set(paths.map((p) => p.name))];
    const series: ChartSeries[] = [];
    const rows: string[][] = [];
    for (const name of names) {
      const levels = paths.filter((p) => p.name === name).sort((a, b) => a.concurrency - b.concurrency);
      for (const [which, dash] of [['p99', false], ['p50', true]] as const) {
        series.push({
          label: `${name} ${which}`,
          color: colour(name),
          ...(dash ? { dash } : {}),
          points: levels.map((p) => [sig(p.throughputOpsPerSec), sig((which === 'p99' ? p.summary.p99Us : p.summary.p50Us) / 1000)]),
          pointLabels: levels.map((p) => `c=${runConcurrency(p)}`),
        });
      }
      for (const p of levels) rows.push([name, String(runConcurrency(p)), rateCell(p.throughputOpsPerSec), msCell(p.summary.p50Us), msCell(p.summary.p99Us)]);
    }
    out.push({
      id: idOf(prefix, 'knee', mode),
      kind: 'knee',
      title: `Latency against throughput — ${mode} loop, concurrency swept`,
      note: 'Each point is one concurrency level (labelled), joined in order of concurrency: where throughput stops growing and latency climbs is the knee.',
      x: { label: 'Throughput (ops/s)', log: true },
      y: { label: 'Latency (ms)', log: true },
      series,
      ownX: true,
      table: { columns: ['Path', 'Concurrency', 'ops/s', 'p50 (ms)', 'p99 (ms)'], rows },
    });
  }
  return out;
}

/** A path at one loop and concurrency across runs: `seq`, or `seq c=4` when levels differ. */
function pathKeys(runs: readonly HtmlRun[]): Array<{ key: string; label: string; name: string; mode: LoopMode; concurrency: number }> {
  const seen = new Map<string, { key: string; label: string; name: string; mode: LoopMode; concurrency: number }>();
  const levels = new Set(runs.flatMap((r) => r.result.paths.map((p) => `${p.mode}-${p.concurrency}`)));
  for (const run of runs) {
    for (const p of foldTrials(run.result.paths).filter(charted)) {
      const key = `${p.name}-${p.mode}-${p.concurrency}`;
      const label = levels.size > 1 ? `${p.name} ${p.mode === 'open' ? 'open ' : ''}c=${runConcurrency(p)}` : p.name;
      if (!seen.has(key)) seen.set(key, { key, label, name: p.name, mode: p.mode, concurrency: p.concurrency });
    }
  }
  return [...seen.values()];
}

/** Several results: each path's percentile curves side by side, one curve per result. */
function sideBySideCharts(runs: readonly HtmlRun[]): ChartSpec[] {
  const folded = runs.map((run) => foldTrials(run.result.paths));
  return pathKeys(runs).map((k) => {
    const series: ChartSeries[] = [];
    const curves: Array<ReturnType<typeof percentileCurve>> = [];
    const columns: string[] = [];
    runs.forEach((run, i) => {
      const p = folded[i]!.find((q) => q.name === k.name && q.mode === k.mode && q.concurrency === k.concurrency);
      if (!p || !charted(p)) return;
      const curve = percentileCurve(p.histogram);
      series.push({ label: run.label, color: i % PALETTE_SIZE, points: curve.points });
      curves.push(curve);
      columns.push(run.label);
    });
    return {
      id: idOf('side', k.key),
      kind: 'percentiles',
      title: `${k.label}: latency by percentile, result by result`,
      note: 'One curve per result, in the order given; HdrHistogram\'s axis (1/(1−p), log).',
      x: { label: 'Percentile', log: true, ticks: percentileTicks(Math.max(1, ...curves.map((c) => c.points.at(-1)?.[0] ?? 1))) },
      y: { label: 'Latency (ms)', log: true },
      series,
      table: percentileTable(columns, curves),
    } satisfies ChartSpec;
  });
}

const VERDICT_WORDS: Record<Verdict, string> = {
  ok: 'ok', regressed: 'REGRESSED', improved: 'improved', 'no-baseline': 'no baseline', 'no-data': 'no data', 'plan-changed': 'plan changed',
};

/** Several results: p50, p99 and throughput of every path across the results, in the order given. */
function trendCharts(runs: readonly HtmlRun[], colour: (name: string) => number): ChartSpec[] {
  const keys = pathKeys(runs);
  const folded = runs.map((run) => foldTrials(run.result.paths));
  const ticks: Array<[number, string]> = runs.map((run, i) => [i + 1, run.label]);
  const find = (i: number, k: (typeof keys)[number]) => folded[i]!.find((p) => p.name === k.name && p.mode === k.mode && p.concurrency === k.concurrency && charted(p));
  const latency: ChartSeries[] = [];
  const throughput: ChartSeries[] = [];
  for (const k of keys) {
    const at = (of: (p: PathResult) => number) => runs.map((_, i): [number, number | null] => {
      const p = find(i, k);
      return [i + 1, p ? sig(of(p)) : null];
    });
    latency.push({ label: `${k.label} p99`, color: colour(k.name), points: at((p) => p.summary.p99Us / 1000) });
    latency.push({ label: `${k.label} p50`, color: colour(k.name), dash: true, points: at((p) => p.summary.p50Us / 1000) });
    throughput.push({ label: k.label, color: colour(k.name), points: at((p) => p.throughputOpsPerSec) });
  }
  const rows: string[][] = [];
  const rowClass: Array<string | undefined> = [];
  runs.forEach((run, i) => {
    for (const k of keys) {
      const p = find(i, k);
      const verdict = run.gate?.verdicts.find((v) => v.path === k.name && v.mode === k.mode && v.concurrency === k.concurrency);
      rows.push([run.label, k.label, p ? msCell(p.summary.p50Us) : '—', p ? msCell(p.summary.p99Us) : '—', p ? rateCell(p.throughputOpsPerSec) : '—',
        verdict ? VERDICT_WORDS[verdict.verdict] : '']);
      rowClass.push(verdict ? `verdict-${verdict.verdict}` : undefined);
    }
  });
  const table: Table = { columns: ['Result', 'Path', 'p50 (ms)', 'p99 (ms)', 'ops/s', 'Verdict'], rows, rowClass };
  return [
    {
      id: 'trend-latency',
      kind: 'trend',
      title: 'Latency across results',
      note: 'p99 (solid) and p50 (dashed) of every path, result by result in the order given, log scale. The numbers are under the next chart.',
      x: { label: 'Result', ticks },
      y: { label: 'Latency (ms)', log: true },
      series: latency,
    },
    {
      id: 'trend-throughput',
      kind: 'trend',
      title: 'Throughput across results',
      note: 'Operations per second of every path, result by result, log scale.',
      x: { label: 'Result', ticks },
      y: { label: 'ops/s', log: true },
      series: throughput,
      table,
    },
  ];
}

/** Every chart of one result (the detailed part of the page). */
export function runCharts(run: HtmlRun, runs: readonly HtmlRun[], prefix = 'run'): {
  percentiles: ChartSpec[]; speedups: ChartSpec[]; knee: ChartSpec[]; overTime: ChartSpec[];
} {
  const colour = colours(runs);
  return {
    percentiles: percentileCharts(run, colour, prefix),
    speedups: speedupCharts(run, prefix),
    knee: kneeCharts(run, colour, prefix),
    overTime: overTimeCharts(run, colour, prefix),
  };
}

/** The charts comparing several results (none for one). */
export function comparisonCharts(runs: readonly HtmlRun[]): { trend: ChartSpec[]; sideBySide: ChartSpec[] } {
  if (runs.length < 2) return { trend: [], sideBySide: [] };
  return { trend: trendCharts(runs, colours(runs)), sideBySide: sideBySideCharts(runs) };
}

/**
 * The JSON the page embeds: every chart's series by id (tables are rendered as HTML, so they are
 * not repeated here). Key order is fixed, so the same input gives the same bytes (golden files).
 */
export function pageData(charts: readonly ChartSpec[]): { charts: Record<string, Omit<ChartSpec, 'table' | 'id'>> } {
  const out: Record<string, Omit<ChartSpec, 'table' | 'id'>> = {};
  for (const { id, table: _table, ...chart } of charts) out[id] = chart;
  return { charts: out };
}
