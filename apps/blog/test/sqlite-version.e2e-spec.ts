import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EntityManager } from '@mikro-orm/better-sqlite';

import { MIN_SQLITE, versionAtLeast } from './support/sqlite-version.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe(`SQLite on this machine's Node (${process.version})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  }, 60_000);
  afterAll(() => t?.close());

  it('compares versions numerically', () => {
    expect(versionAtLeast('3.53.2', MIN_SQLITE)).toBe(true);
    expect(versionAtLeast('3.51.3', MIN_SQLITE)).toBe(true);
    expect(versionAtLeast('3.51.2', MIN_SQLITE)).toBe(false);
    expect(versionAtLeast('3.49.2', MIN_SQLITE)).toBe(false);
    expect(versionAtLeast('3.9.9', MIN_SQLITE)).toBe(false);
  });

  it(`is at least ${MIN_SQLITE} (the WAL-reset fix) on the app's own connection`, async () => {
    const rows = await t.app.get(EntityManager).getConnection().execute<{ v: string }[]>('select sqlite_version() as v');
    const version = rows[0]!.v;
    expect({ version, fixed: versionAtLeast(version, MIN_SQLITE) }).toEqual({ version, fixed: true });
  });
});
