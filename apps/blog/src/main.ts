import { ConfigError, loadConfig } from './config/config.js';
import { startDraining } from './common/draining.js';
import { SHUTDOWN_BUDGET } from './common/shutdown-budget.js';
import { AppLogger } from './logging/app-logger.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = new AppLogger(config.production, config.logLevel);
try {
  // Imported after the config check so a bad environment fails before Nest and the ORM load.
  const { awaitReplicationBeforeExit, createApp, flushViewCounts, writerLeasePublished } = await import('./app.setup.js');
  const app = await createApp(config, logger);
  const server = app.getHttpServer();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    const started = Date.now();
    const left = () => started + SHUTDOWN_BUDGET.exitByMs - SHUTDOWN_BUDGET.closeMs - Date.now();
    logger.log(`${signal}: closing`, 'Bootstrap');
    // Why exit 0, and by exitByMs whatever still runs: Litestream makes its final sync only after
    // the app exits 0, and Cloud Run's SIGKILL comes 10 s after SIGTERM (see shutdown-budget.ts).
    setTimeout(() => {
      logger.warn(`Shutdown took more than ${SHUTDOWN_BUDGET.exitByMs} ms: exiting now`, 'Bootstrap');
      process.exit(0);
    }, SHUTDOWN_BUDGET.exitByMs).unref();
    startDraining(server, SHUTDOWN_BUDGET.drainMs);
    // The view counts after the drain, so that those of the last requests are in.
    new Promise<void>((resolve) => server.close(() => resolve()))
      .then(() => flushViewCounts(app, left()))
      .then(() => awaitReplicationBeforeExit(app, left()))
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`Shutdown failed: ${(err as Error).message}`, (err as Error).stack, 'Bootstrap');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM received'));
  process.on('SIGINT', () => shutdown('SIGINT received'));
  // Losing the writer lease does not end the process: this instance still has the traffic until the
  // newer one passes its startup probe, and exiting would make Cloud Run start a fresh instance of
  // this revision, which would take the lease back (a ping-pong). It serves reads, refuses every
  // write (WriterLeaseService), and exits on the SIGTERM that comes once traffic has moved.

  // Before listening: the startup probe passes only once the lease names this instance's
  // generation, while Cloud Run still gives the CPU (see WriterLeaseService.published).
  if (!(await writerLeasePublished(app)) && !closing) {
    logger.warn('Listening without the writer lease published: reads are served, writes wait for it', 'Bootstrap');
  }
  if (!closing) {
    await app.listen(config.port, config.host);
    logger.log(`Inkstone is listening on ${config.production ? `port ${config.port}` : config.siteUrl}`, 'Bootstrap');
  }
} catch (err) {
  if (err instanceof ConfigError || (err as Error).name === 'SecretError') {
    console.error((err as Error).message);
    process.exit(1);
  }
  logger.error(`Startup failed: ${(err as Error).message}`, (err as Error).stack, 'Bootstrap');
  process.exit(1);
}
