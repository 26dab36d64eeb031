/** `npm run soak -- --duration 600 --clients 2000 --rate 200`: runs the soak, prints the JSON report and the table. */
import { runCommandLine } from './cli-entry';
import { runSoak } from './soak';
import { parseSoakOptions } from './soak-options';
import { formatSoakTable } from './soak-report';

runCommandLine({
  name: 'soak',
  parse: parseSoakOptions,
  run: runSoak,
  formatTable: formatSoakTable,
  passed: (report) => report.verdict.pass,
});
