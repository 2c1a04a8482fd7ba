import { ConfigError, loadConfig } from './config/config.js';
import { startDraining } from './common/draining.js';
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
  const { createApp, onWriterLeaseLost } = await import('./app.setup.js');
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  logger.log(`Inkstone is listening on ${config.production ? `port ${config.port}` : config.siteUrl}`, 'Bootstrap');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: closing`, 'Bootstrap');
    // Cloud Run allows 10 s after SIGTERM; in-flight saves get most of it, Litestream the rest.
    startDraining(app.getHttpServer(), 6_000);
    // Why exit 0: Litestream skips its final sync when the app exits non-zero after SIGTERM.
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`Shutdown failed: ${(err as Error).message}`, (err as Error).stack, 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM received'));
  process.on('SIGINT', () => shutdown('SIGINT received'));
  // A newer instance took the writer lease: finish in-flight requests and exit, so that this
  // instance's Litestream stops too.
  onWriterLeaseLost(app, () => shutdown('Writer lease lost'));
} catch (err) {
  if (err instanceof ConfigError || (err as Error).name === 'SecretError') {
    console.error((err as Error).message);
    process.exit(1);
  }
  logger.error(`Startup failed: ${(err as Error).message}`, (err as Error).stack, 'Bootstrap');
  process.exit(1);
}
