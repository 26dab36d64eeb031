/** `npm run bench -- --n 10000`: runs the benchmark, prints the table and the JSON report. */
import { runBenchmark } from './benchmark';
import { runCommandLine } from './cli-entry';
import { parseOptions } from './options';
import { formatTable } from './report';

runCommandLine({
  name: 'benchmark',
  parse: parseOptions,
  run: runBenchmark,
  formatTable,
  passed: (report) => !(report.lostEvents > 0 || report.connections.notificationLive < report.connections.requested),
});
