import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives local defaults on an empty environment', () => {
    const config = loadConfig({}, '/srv/blog');
    expect(config).toMatchObject({
      production: false,
      port: 3000,
      host: '0.0.0.0',
      databasePath: '/srv/blog/data/inkstone.db',
      siteUrl: 'http://localhost:3000',
      adminUsername: 'admin',
      adminPassword: { kind: 'none' },
      sessionSecret: { kind: 'none' },
      litestreamReplicaUrl: null,
      demoContent: true,
    });
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      PORT: '8081',
      HOST: '127.0.0.1',
      DATABASE_PATH: '/data/blog.db',
      SITE_URL: 'https://blog.example.com/',
      ADMIN_USERNAME: 'ada',
      ADMIN_PASSWORD_FILE: '/secrets/admin',
      SESSION_SECRET_SECRET: 'projects/p/secrets/session',
      LITESTREAM_REPLICA_URL: 'gcs://bucket/inkstone.db',
      DEMO_CONTENT: 'false',
    });
    expect(config).toMatchObject({
      port: 8081,
      host: '127.0.0.1',
      databasePath: '/data/blog.db',
      siteUrl: 'https://blog.example.com',
      adminUsername: 'ada',
      adminPassword: { kind: 'file', path: '/secrets/admin' },
      sessionSecret: { kind: 'secret-manager', name: 'projects/p/secrets/session/versions/latest' },
      litestreamReplicaUrl: 'gcs://bucket/inkstone.db',
      demoContent: false,
    });
  });

  it('keeps images beside the database: a folder locally, the replica bucket with a gcs:// replica', () => {
    expect(loadConfig({}, '/srv/blog')).toMatchObject({
      mediaStore: { kind: 'folder', path: '/srv/blog/data/media' },
      mediaCacheBytes: 16 * 1024 * 1024,
    });
    expect(loadConfig({ LITESTREAM_REPLICA_URL: 'gcs://bkt/blog/inkstone.db' }).mediaStore).toEqual({
      kind: 'gcs',
      bucket: 'bkt',
      prefix: 'blog/media',
    });
    expect(loadConfig({ LITESTREAM_REPLICA_URL: 'gcs://bkt/inkstone.db' }).mediaStore).toEqual({
      kind: 'gcs',
      bucket: 'bkt',
      prefix: 'media',
    });
    expect(loadConfig({ LITESTREAM_REPLICA_URL: 'file:///backups/db', DATABASE_PATH: '/d/x.db' }).mediaStore).toEqual({
      kind: 'folder',
      path: '/d/media',
    });
    expect(loadConfig({ MEDIA_STORE_URL: 'gcs://other/img/', MEDIA_CACHE_MB: '4' })).toMatchObject({
      mediaStore: { kind: 'gcs', bucket: 'other', prefix: 'img' },
      mediaCacheBytes: 4 * 1024 * 1024,
    });
    expect(loadConfig({ MEDIA_STORE_URL: 'pics' }, '/srv').mediaStore).toEqual({ kind: 'folder', path: '/srv/pics' });
    expect(() => loadConfig({ MEDIA_STORE_URL: 's3://x/y', MEDIA_CACHE_MB: 'lots' })).toThrow(
      /MEDIA_STORE_URL must look like gcs:\/\/bucket\/prefix[\s\S]*MEDIA_CACHE_MB must be/,
    );
  });

  it('allows loopback Webmention fetches only outside production (a test switch)', () => {
    expect(loadConfig({}).webmentionAllowLoopback).toBe(false);
    expect(loadConfig({ WEBMENTION_ALLOW_LOOPBACK: 'true' }).webmentionAllowLoopback).toBe(true);
    const prod = { NODE_ENV: 'production', ADMIN_PASSWORD: 'x'.repeat(16), SESSION_SECRET: 'y'.repeat(32) };
    expect(() => loadConfig({ ...prod, WEBMENTION_ALLOW_LOOPBACK: 'true' })).toThrow(
      /WEBMENTION_ALLOW_LOOPBACK is for tests only/,
    );
    expect(() => loadConfig({ WEBMENTION_ALLOW_LOOPBACK: 'maybe' })).toThrow(/WEBMENTION_ALLOW_LOOPBACK must be true or false/);
  });

  it('defaults the port to 8080 in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'x'.repeat(16), SESSION_SECRET: 'y'.repeat(32) });
    expect(config.port).toBe(8080);
    expect(config.production).toBe(true);
  });

  it('names every bad variable at once, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        SITE_URL: 'ftp://x',
        ADMIN_PASSWORD: 'hunter2-secret',
        ADMIN_PASSWORD_FILE: '/x',
        LITESTREAM_REPLICA_URL: 'gs://bucket/db',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'SITE_URL', 'ADMIN_PASSWORD_FILE', 'LITESTREAM_REPLICA_URL', 'LOG_LEVEL']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('hunter2-secret');
  });

  it('refuses to start in production without a password and a session secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ADMIN_PASSWORD.*required in production[\s\S]*SESSION_SECRET/);
  });

  it('rejects a malformed Secret Manager name', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD_SECRET: 'my-secret' })).toThrow(
      /ADMIN_PASSWORD_SECRET must be a Secret Manager name/,
    );
  });
});
