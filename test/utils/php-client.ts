import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from './programs';

export const PHP = findProgram('php');
export const PHP_CLIENT_DIR = join(__dirname, '..', '..', 'clients', 'php');
const DRIVER = join(__dirname, 'php-publish.php');

export interface PhpCall {
  readonly endpoint: string;
  readonly token: string;
  readonly method: 'publishNotification' | 'publishForumActivity';
  readonly input: Record<string, unknown>;
  /** RealtimeClient options: connect_timeout, timeout, retries, backoff_ms, max_backoff_ms, retry_on_timeout. */
  readonly options?: Record<string, unknown>;
}

export interface PhpOutcome {
  readonly result?: { id: string; publishedAt: string };
  readonly error?: { class: string; code: string | null; status: number | null; attempts: number; retryable: boolean; message: string };
  readonly elapsedMs: number;
}

/** Runs one call of clients/php/RealtimeClient.php under php-cli and returns what it printed. */
export async function runPhpClient(call: PhpCall): Promise<PhpOutcome> {
  const { stdout } = await promisify(execFile)(PHP ?? 'php', [DRIVER, JSON.stringify(call)], { timeout: 20_000 });
  return JSON.parse(stdout) as PhpOutcome;
}

/** Runs `php -l` on a file: resolves with its output, rejects on a syntax error. */
export async function lintPhp(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(PHP ?? 'php', ['-l', file]);
  return stdout;
}
