/** Reporter: a bench (or merge) result in one of the output formats. */
import type { ChalkInstance } from 'chalk';
import type { Comparison } from '../measure/compare.js';
import type { GateReport } from '../measure/gate.js';
import type { BenchResult } from '../measure/result.js';
import { renderChecksMarkdown, renderChecksText } from './bench-checks.js';
import { renderBenchCsv } from './bench-csv.js';
import { renderGateMarkdown } from './bench-gate.js';
import { renderBenchJson } from './bench-json.js';
import { renderBenchMarkdown } from './bench-markdown.js';
import { renderReplicationMarkdown, renderReplicationText } from './bench-replicas.js';
import { renderBenchTable } from './bench-table.js';
import { renderHtmlReport, type HtmlAssets } from './html-page.js';

export const BENCH_FORMATS = ['table', 'json', 'markdown', 'csv', 'html'] as const;
export type BenchFormat = (typeof BENCH_FORMATS)[number];

export interface Rendered {
  result: BenchResult;
  comparisons: readonly Comparison[];
  gate?: GateReport;
  /** HTML only: the chart library the page inlines, read by the caller (a reporter reads no file). */
  htmlAssets?: HtmlAssets;
}

/**
 * The report in one format. Markdown and HTML carry the gate's verdicts; JSON is the result contract
 * alone; HTML is one self-contained page (`htmlAssets` required).
 */
export function renderReport(format: BenchFormat, report: Rendered, chalk?: ChalkInstance): string {
  const { result, comparisons, gate } = report;
  switch (format) {
    case 'json':
      return renderBenchJson(result, comparisons);
    case 'csv':
      return renderBenchCsv(result);
    case 'html': {
      if (!report.htmlAssets) throw new Error('renderReport: the html format needs htmlAssets');
      return renderHtmlReport({ runs: [{ label: 'this run', result, comparisons, ...(gate ? { gate } : {}) }] }, report.htmlAssets);
    }
    case 'markdown': {
      const checks = renderChecksMarkdown(result);
      const replication = renderReplicationMarkdown(result);
      return renderBenchMarkdown(result, comparisons) + (checks ? `\n${checks}` : '') + (replication ? `\n${replication}` : '') + (gate ? `\n${renderGateMarkdown(gate)}` : '');
    }
    case 'table': {
      const checks = renderChecksText(result);
      const replication = renderReplicationText(result);
      return renderBenchTable(result, comparisons, chalk ? { chalk } : {}) + (checks ? `\n${chalk ? chalk.dim(checks) : checks}` : '') +
        (replication ? `\n${replication}` : '');
    }
  }
}

