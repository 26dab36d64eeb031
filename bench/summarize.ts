/**
 * `npx tsx bench/summarize.ts a.json b.json c.json [--floor f1.json,f2.json,f3.json]`: the
 * median of each figure over several runs' JSON reports, printed as the same table (the figures
 * of one run are noisy on a shared 2-core machine; the README quotes these medians). With
 * --floor, the medians of runs against the floor server too, and the service's figures as
 * multiples of the floor's (machines of one kind differ; the ratios travel better).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
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
  const { values, positionals } = parseArgs({ options: { floor: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) {
    process.stderr.write('usage: npx tsx bench/summarize.ts report.json [report.json …] [--floor floor.json,floor.json,…]\n');
    process.exit(2);
  }
  const read = (files: readonly string[]) => files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as BenchmarkReport);
  const reports = read(positionals);
  const floor = values.floor === undefined ? undefined : read(values.floor.split(','));
  const heading = `median of ${reports.length} runs${floor ? ` (the floor: of ${floor.length})` : ''} (lost events: the sum)`;
  process.stdout.write(`${heading}\n\n${formatTable(summarize(reports), floor && summarize(floor))}\n`);
}
