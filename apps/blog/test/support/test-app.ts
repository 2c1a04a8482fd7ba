import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EntityManager } from '@mikro-orm/better-sqlite';
import { RequestContext } from '@mikro-orm/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { Clock, type ContentInput, PagesService, PostsService, SettingsService, ViewCounterService } from '@app/content';

import { createApp } from '../../src/app.setup.js';
import { loadConfig } from '../../src/config/config.js';

export const SITE_URL = 'http://blog.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: NestExpressApplication;
  /** Pass to supertest's request(). */
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  dir: string;
  databasePath: string;
  clock: Clock;
  /** Runs service calls the way a request would: in its own ORM context. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  createPost(input: Partial<ContentInput> & { title: string }): ReturnType<PostsService['create']>;
  createPage(input: Partial<ContentInput> & { title: string }): ReturnType<PagesService['create']>;
  services: { posts: PostsService; pages: PagesService; settings: SettingsService; views: ViewCounterService };
  close(): Promise<void>;
}

/** The real app on a fresh SQLite file in a temporary directory: one per test suite. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-e2e-'));
  const databasePath = join(dir, 'blog.db');
  const config = loadConfig({
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'silent',
    DEMO_CONTENT: 'false',
    SITE_URL,
    ADMIN_PASSWORD,
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-for-prod',
    ...env,
  });
  const app = await createApp(config);
  const em = app.get(EntityManager);
  const run = <T>(fn: () => Promise<T>) => RequestContext.create(em, fn);
  const posts = app.get(PostsService);
  const pages = app.get(PagesService);
  return {
    app,
    server: app.getHttpServer(),
    dir,
    databasePath,
    clock: app.get(Clock),
    run,
    createPost: (input) => run(() => posts.create({ markdown: '', status: 'published', ...input })),
    createPage: (input) => run(() => pages.create({ markdown: '', status: 'published', ...input })),
    services: { posts, pages, settings: app.get(SettingsService), views: app.get(ViewCounterService) },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Dates relative to the real now, for publishedAt. */
export const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
