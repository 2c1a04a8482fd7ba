import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { startTestApp } from './support/test-app.js';

// Starts the app three times on one file (migrations, demo content, an argon2 hash each): seconds apiece on a loaded 2-core machine.
jest.setTimeout(60_000);

describe('first run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inkstone-first-run-'));
  const env = { DATABASE_PATH: join(dir, 'blog.db'), DEMO_CONTENT: 'true' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the welcome post and About page once, and never brings them back', async () => {
    const first = await startTestApp(env);
    try {
      const home = await request(first.server).get('/').expect(200);
      expect(home.text).toContain('href="/posts/welcome-to-inkstone"');
      expect(home.text).toContain('href="/about">About</a>');
      const post = await request(first.server).get('/posts/welcome-to-inkstone').expect(200);
      expect(post.text).toContain('/admin');
      expect(post.text).toContain('<pre class="hljs" tabindex="0">');
      const welcome = (await first.run(() => first.services.posts.findVisibleBySlug('welcome-to-inkstone')))!;
      await first.run(() => first.services.posts.delete(welcome.id));
    } finally {
      await first.close();
    }

    const second = await startTestApp(env);
    try {
      // Deleted, it answers 410 Gone (not re-created, not merely missing).
      await request(second.server).get('/posts/welcome-to-inkstone').expect(410);
      expect((await request(second.server).get('/').expect(200)).text).toContain('Nothing published yet.');
    } finally {
      await second.close();
    }
  });
});
