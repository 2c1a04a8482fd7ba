import { NestFactory } from '@nestjs/core';
import compression from 'compression';
import express from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { AuthCookies } from '@app/auth';
import { ViewCounterService } from '@app/content';

import { AppModule } from './app.module.js';
import { resolveSecrets } from './bootstrap/secrets.js';
import { drainingMiddleware } from './common/draining.js';
import { viewCountFlushMiddleware } from './common/view-count-flush.middleware.js';
import { ReplicationService } from './durability/replication.service.js';
import { WriterLeaseService } from './durability/writer-lease/writer-lease.service.js';
import { requestLog } from './common/request-log.middleware.js';
import { staticAssets } from './common/static-assets.js';
import { securityHeaders } from './common/security-headers.js';
import { applyServerTimeouts } from './common/server-timeouts.js';
import type { AppConfig } from './config/config.js';
import { AppLogger } from './logging/app-logger.js';
import { VIEWS_DIR } from './paths.js';
import { PageCacheFastPath } from './site/page-cache.fast-path.js';
import { pageCacheMiddleware } from './site/page-cache.middleware.js';
import { PageCache } from './site/page-cache.service.js';
import { createViewEngine } from './views/handlebars-engine.js';
import { loadPrecompiledViews, type PrecompiledViews } from './views/precompiled.js';

/**
 * Builds the whole app, ready to listen: used by main.ts and by every e2e test, so tests run
 * exactly what production runs. Migrations have run when this resolves.
 */
export async function createApp(
  config: AppConfig,
  logger = new AppLogger(config.production, config.logLevel),
): Promise<NestExpressApplication> {
  const secrets = await resolveSecrets(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, secrets), {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  configureApp(app, config, logger, await loadPrecompiledViews());
  applyServerTimeouts(app.getHttpServer());
  // Cache hits answered before Express and Nest see the request; the rest goes on to them.
  app.get(PageCacheFastPath).install(app.getHttpServer(), {
    logger,
    production: config.production,
    sessionCookie: app.get(AuthCookies).sessionName,
  });
  await app.init();
  return app;
}

/** See WriterLeaseService.published: main.ts waits for it before listening. */
export function writerLeasePublished(app: NestExpressApplication): Promise<boolean> {
  return app.get(WriterLeaseService).published();
}

/** Writes the pending view counts, their writer-lease check bounded by `withinMs` (shutdown). */
export function flushViewCounts(app: NestExpressApplication, withinMs: number): Promise<void> {
  return app.get(ViewCounterService).flush(withinMs);
}

/**
 * Shutdown: waits (bounded) until Litestream has shipped the last write, so that no upload of its is
 * in flight when the app exits. Why: Litestream 0.3.13 cancels its context once the app exits, and
 * a WAL-segment upload cancelled mid-stream leaves its replica goroutine blocked on a pipe nobody
 * reads (replica.go syncWAL); its Close then waits for that goroutine forever, the final sync never
 * runs, and Cloud Run's SIGKILL ends it (seen in retention.e2e-spec: an instance hung on SIGTERM).
 */
export async function awaitReplicationBeforeExit(app: NestExpressApplication, withinMs: number): Promise<void> {
  if (withinMs <= 0) return;
  await app.get(ReplicationService).waitForReplication(withinMs);
}

export function configureApp(app: NestExpressApplication, config: AppConfig, logger: AppLogger, views?: PrecompiledViews): void {
  app.disable('x-powered-by');
  // Cloud Run terminates TLS in front of us: trust the first proxy for protocol and client info.
  app.set('trust proxy', config.production ? 1 : false);
  app.set('query parser', 'simple');
  app.engine('hbs', createViewEngine(VIEWS_DIR, views));
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('hbs');
  app.use(securityHeaders(config.production));
  app.use(drainingMiddleware);
  app.use(requestLog(logger));
  app.use(viewCountFlushMiddleware(app.get(ViewCounterService)));
  // Reader pages from memory, before anything else a hit does not need.
  app.use(pageCacheMiddleware(app.get(PageCache), app.get(ViewCounterService)));
  // Pages from the page cache arrive already compressed (Content-Encoding set), which this skips.
  app.use(compression());
  app.use('/static', staticAssets.middleware);
  // Forms carry whole posts (up to 500,000 characters, which percent-encoding can triple);
  // uploads are multipart and limited by the media route itself.
  // The login form is three short fields: a much smaller bound there (body-parser skips a parsed body).
  app.use(
    '/admin/login',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    express.json({ limit: '16kb' }),
  );
  // Webmention's two URLs: a sender has no reason to send more.
  app.use(
    '/webmention',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    express.json({ limit: '16kb' }),
  );
  app.use(express.urlencoded({ extended: false, limit: '2mb', parameterLimit: 200 }));
  app.use(express.json({ limit: '2mb' }));
}
