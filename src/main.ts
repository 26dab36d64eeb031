import './v8-flags';
import cluster from 'node:cluster';
import { createApp } from './app';
import { signDevelopmentUserToken } from './auth/development-token';
import type { Config } from './config/config';
import { ConfigError, loadConfig } from './config/load-config';
import { createLogger } from './observability/logger';
import { groupMetricsOfWorker } from './workers/group-metrics';
import { runPrimary } from './workers/primary';

const SHUTDOWN_FUSE_MS = 10_000;

function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

function printFirstSteps(url: string, userToken: string, publisherToken: string): void {
  const origin = new URL(url).origin;
  process.stdout.write(
    [
      '',
      `MechaMap Realtime is running in development mode (${origin}).`,
      '',
      `  GraphiQL:         ${url}   (opens with user 1's token in the headers)`,
      `  User 1's token:   ${userToken}`,
      `  Publisher token:  ${publisherToken}`,
      '',
      '  In GraphiQL, run:  subscription { notification(userId: "1") { id type title body createdAt } }',
      '  Then publish to user 1 from a terminal:',
      '',
      `  curl -s ${url} -H 'content-type: application/json' -H 'authorization: Bearer ${publisherToken}' \\`,
      `    -d '{"query":"mutation { publishNotification(input: {userId: \\"1\\", type: \\"welcome\\", title: \\"Hello from curl\\"}) { id publishedAt } }"}'`,
      '',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  // A last line of defence: a stray rejection is a bug to log, not a reason to drop every user.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config.workers, logger);
  const developmentToken = config.usesDevelopmentSecrets ? await signDevelopmentUserToken(config.jwt.secret, '1') : undefined;
  const app = createApp(config, {
    logger,
    graphiqlHeaders: developmentToken ? { Authorization: `Bearer ${developmentToken}` } : undefined,
    renderMetrics: cluster.isWorker ? groupMetricsOfWorker : undefined,
  });
  const { url } = await app.start();
  // Under WORKERS, the first worker says it for the group.
  if (developmentToken && (!cluster.isWorker || cluster.worker?.id === 1)) printFirstSteps(url, developmentToken, config.publisherTokens[0] as string);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_FUSE_MS).unref();
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
