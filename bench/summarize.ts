/**
 * `npx tsx bench/summarize.ts a.json b.json c.json`: the median of each figure over several
 * runs' JSON reports, printed as the same table (the figures of one run are noisy on a shared
 * 2-core machine; the README quotes these medians).
 */
import { readFileSync } from 'node:fs';
import { formatTable, type BenchmarkReport } from './report';
import { median } from './stats';

/** Every numeric leaf becomes the median of that leaf over `values`; anything else is taken from the first. */
export function medianOf(values: readonly unknown[]): unknown {
  const [first] = values;
  if (typeof first === 'number') return median(values.filter((value): value is number => typeof value === 'number'));
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return first;
  return Object.fromEntries(Object.keys(first).map((key) => [key, medianOf(values.map((value) => (value as Record<string, unknown> | null)?.[key]))]));
}

export function summarize(reports: readonly BenchmarkReport[]): BenchmarkReport {
  const summary = medianOf(reports) as BenchmarkReport;
  summary.problems = reports.flatMap((report, index) => report.problems.map((problem) => `run ${index + 1}: ${problem}`));
  // Lost events are summed, not taken as a median: one lost event in any run counts.
  summary.lostEvents = reports.reduce((total, report) => total + report.lostEvents, 0);
  return summary;
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: npx tsx bench/summarize.ts report.json [report.json …]\n');
    process.exit(2);
  }
  const reports = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchmarkReport);
  process.stdout.write(`median of ${reports.length} runs (lost events: the sum)\n\n${formatTable(summarize(reports))}\n`);
}
