/** `npm run soak -- --duration 600 --clients 2000 --rate 200`: runs the soak, prints the JSON report and the table. */
import { writeFileSync } from 'node:fs';
import { runSoak } from './soak';
import { parseSoakOptions, SoakUsageError } from './soak-options';
import { formatSoakTable } from './soak-report';

async function main(): Promise<void> {
  let options;
  try {
    options = parseSoakOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof SoakUsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${error.usage}\n`);
    process.exit(error.message ? 2 : 0);
  }
  const report = await runSoak(options);
  const json = JSON.stringify(report, null, 2);
  if (options.out) writeFileSync(options.out, `${json}\n`);
  process.stdout.write(`${json}\n\n${formatSoakTable(report)}\n`);
  if (options.out) process.stdout.write(`\n(report written to ${options.out})\n`);
  process.exitCode = report.verdict.pass ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
