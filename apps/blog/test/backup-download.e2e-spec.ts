import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { HttpAdmin } from './support/http-admin.js';
import { freePort } from './support/process.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/test-app.js';

// A loaded CI machine can take more than Jest's default 5 s to boot the app.
jest.setTimeout(30_000);

const MB = 1024 * 1024;

/** The backup copies this process holds open after unlinking them: what they cost in RAM on Cloud Run. */
function heldBackupCopies(): number[] {
  const sizes: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (/inkstone-backup-.*\(deleted\)$/.test(readlinkSync(`/proc/self/fd/${fd}`)))
        sizes.push(statSync(`/proc/self/fd/${fd}`).size);
    } catch {
      // closed meanwhile
    }
  }
  return sizes;
}

/**
 * Cloud Run's filesystem is RAM: the database download's temporary copy counts against the
 * instance's memory. One at a time, and gone from the filesystem while it is sent.
 */
describe('the database download and memory', () => {
  let t: TestApp;
  let base: string;
  let scratch: string;
  const previousTmp = process.env.TMPDIR;

  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Backed up', markdown: 'In the copy.' });
    // 16 MB of images, so the copy is big enough to be seen and slow enough to overlap.
    const db = new Database(t.databasePath);
    const insert = db.prepare(
      `INSERT INTO media (filename, content_type, size, sha256, width, height, data, created_at)
       VALUES (?, 'image/jpeg', ?, ?, 10, 10, ?, ?)`,
    );
    for (let n = 0; n < 16; n++) insert.run(`p${n}.jpg`, MB, randomBytes(32).toString('hex'), randomBytes(MB), Date.now());
    db.close();
    const port = await freePort();
    await t.app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    scratch = mkdtempSync(join(tmpdir(), 'inkstone-backup-test-'));
    process.env.TMPDIR = scratch; // os.tmpdir() reads it on each call
  });
  afterAll(async () => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('holds one copy at a time, unlinked while it is sent, and the copy is the whole database', async () => {
    const admin = new HttpAdmin(base);
    await admin.login('admin', ADMIN_PASSWORD);
    const first = await fetch(`${base}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];
    // The first download is being sent (the client reads slowly): its copy has no name any more...
    expect(readdirSync(scratch)).toEqual([]);
    const held = heldBackupCopies();
    expect(held).toHaveLength(1);
    // ...and a second one, which would double the memory, is told to wait.
    const second = await fetch(`${base}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('10');
    expect(await second.text()).toContain('Another database download is being sent');
    console.log(
      `backup download: one copy of ${(held[0] / MB).toFixed(1)} MB held while sending; a concurrent download refused (before: one copy per download)`,
    );

    for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
    const file = join(scratch, 'downloaded.db');
    writeFileSync(file, Buffer.concat(chunks));
    expect(Buffer.concat(chunks).length).toBe(Number(first.headers.get('content-length')));
    const copy = new Database(file, { readonly: true });
    expect((copy.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    // The 16 images above (the post's social card is a media row too, made by the blog).
    expect((copy.prepare('SELECT count(*) AS n FROM media WHERE purpose IS NULL').get() as { n: number }).n).toBe(16);
    expect((copy.prepare(`SELECT count(*) AS n FROM post WHERE slug = 'backed-up'`).get() as { n: number }).n).toBe(1);
    copy.close();
    rmSync(file);
    // The server closes its copy right after the last byte (asynchronously): then nothing is held.
    for (const deadline = Date.now() + 3_000; heldBackupCopies().length > 0 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 20));
    expect(heldBackupCopies()).toEqual([]);

    // Once sent, the next download is served. The copy's file closes when its stream ends, a moment
    // before the response's own end frees the one download slot (seen under load): a 429 within
    // that moment is still the first download's.
    let third = await fetch(`${base}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
    for (const deadline = Date.now() + 3_000; third.status === 429 && Date.now() < deadline;) {
      await third.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      third = await fetch(`${base}/admin/backup/database`, { headers: { Cookie: admin.cookieHeader() } });
    }
    expect(third.status).toBe(200);
    await third.arrayBuffer();
  }, 60_000);
});
