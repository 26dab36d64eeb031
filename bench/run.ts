/**
 * `npm run bench -- --n 10000 --server dist --runs 5`: the floor and the service alternately,
 * medians, every figure of issue 18 as a ratio and whether it holds (exit 1 when one misses);
 * `--no-floor` (or `--server floor`) runs one side alone and prints its figures.
 */
import { runBenchmark } from './benchmark';
import { runCommandLine } from './cli-entry';
import { comparisonPassed, formatVerdicts, runComparison, type ComparisonReport } from './compare';
import { parseOptions } from './options';
import { formatTable, type BenchmarkReport } from './report';

const isComparison = (report: BenchmarkReport | ComparisonReport): report is ComparisonReport => 'verdicts' in report;

runCommandLine<ReturnType<typeof parseOptions>, BenchmarkReport | ComparisonReport>({
  name: 'benchmark',
  parse: parseOptions,
  run: (options) => (options.againstFloor ? runComparison(options) : runBenchmark(options)),
  formatTable: (report) => {
    if (!isComparison(report)) return formatTable(report);
    const { medians, verdicts, problems, runs } = report;
    const sections = [formatVerdicts(verdicts, runs.service.length), formatTable(medians.service, medians.floor)];
    if (medians.sse && medians.websocket)
      sections.push(`SSE against WebSocket, both the service:\n\n${formatTable(medians.sse, medians.websocket, 'WebSocket')}`);
    if (problems.length) sections.push(`problems (${problems.length}):\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    return sections.join('\n\n');
  },
  passed: (report) =>
    isComparison(report) ? comparisonPassed(report) : !(report.lostEvents > 0 || report.connections.notificationLive < report.connections.requested),
});
