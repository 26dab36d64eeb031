/**
 * The entry of a bench command line (run.ts, soak-run.ts): parse the options, run, print the
 * JSON report and the table, write the report to --out if given, set the exit code.
 * A UsageError prints the usage and exits 2 (0 for --help); any other failure exits 1.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from './cli-options';

export interface CommandLineTool<Options extends { readonly out?: string }, Report> {
  /** What the failure message calls the tool ("benchmark", "soak"). */
  readonly name: string;
  parse(argv: readonly string[], env: NodeJS.ProcessEnv): Options;
  run(options: Options): Promise<Report>;
  formatTable(report: Report): string;
  /** Whether the report counts as a pass (exit code 0) or not (1). */
  passed(report: Report): boolean;
}

async function main<Options extends { readonly out?: string }, Report>(tool: CommandLineTool<Options, Report>): Promise<void> {
  let options;
  try {
    options = tool.parse(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message ? `${error.message}\n\n` : ''}${error.usage}\n`);
    process.exit(error.message ? 2 : 0);
  }
  const report = await tool.run(options);
  const json = JSON.stringify(report, null, 2);
  if (options.out) writeFileSync(options.out, `${json}\n`);
  process.stdout.write(`${json}\n\n${tool.formatTable(report)}\n`);
  if (options.out) process.stdout.write(`\n(report written to ${options.out})\n`);
  process.exitCode = tool.passed(report) ? 0 : 1;
}

/** Runs `tool` on this process's command line and environment. */
export function runCommandLine<Options extends { readonly out?: string }, Report>(tool: CommandLineTool<Options, Report>): void {
  main(tool).catch((error: unknown) => {
    process.stderr.write(`${tool.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
