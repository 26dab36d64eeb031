/** `npm run bench -- --n 10000`: runs the benchmark, prints the table and the JSON report. */
import { writeFileSync } from 'node:fs';
import { runBenchmark } from './benchmark';
import { parseOptions, UsageError } from './options';
import { formatTable } from './report';

async function main(): Promise<void> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${error.usage}\n`);
    process.exit(error.message ? 2 : 0);
  }
  const report = await runBenchmark(options);
  const json = JSON.stringify(report, null, 2);
  if (options.out) writeFileSync(options.out, `${json}\n`);
  process.stdout.write(`${json}\n\n${formatTable(report)}\n`);
  if (options.out) process.stdout.write(`\n(report written to ${options.out})\n`);
  process.exitCode = report.lostEvents > 0 || report.connections.notificationLive < report.connections.requested ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
