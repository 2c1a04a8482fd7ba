import { createHash } from 'node:crypto';

import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import request from 'supertest';

import { LoginThrottle } from '@app/auth';

import { csrfFrom, loggedInAgent, type Agent } from './support/admin-agent.js';
import { png } from './support/media-images.js';
import { freePort } from './support/process.js';
import { indexedPosts } from './support/search-index.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Runs per property; FUZZ_RUNS=500 for a long local session. The CI default keeps the suite near 30 s. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
jest.setTimeout(60_000 + RUNS * 2_000);

/** Strings a form field may carry: anything Unicode, controls and lone surrogates, metacharacters, or long text. */
const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '\udfff x',
      '\uFFFE',
      "' OR 1=1 --",
      '"; DROP TABLE post; --',
      'NEAR(a b)',
      '<script>alert(1)</script>',
      'javascript:alert(1)',
      '../../etc/passwd',
      '%00',
      '-1',
      '0',
      '1e308',
      'NaN',
      'published',
      'draft',
      'scheduled',
      '2026-11-25T10:30',
      '9999-12-31T23:59',
      '0000-00-00T00:00',
      '2026-02-30T25:61',
      '__proto__',
      'constructor',
      'admin',
      'a,b,,c, ,d',
      ','.repeat(50),
      'Label | https://example.com\nOther | /about',
      'Bad | javascript:alert(1)',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 300, maxLength: 3_000 }) },
  // Short strings dense in the characters that break things: NUL, controls, surrogates, quotes.
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\u0001', '\u001f', '\r', '\n', '\ud800', '\udc00', "'", '"', '%', 'a', '-'),
      maxLength: 12,
    }),
  },
);

/** A form value as urlencoded bodies carry it: absent, one value, or the field repeated. */
const formValue = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: hostile },
  { weight: 1, arbitrary: fc.array(hostile, { minLength: 2, maxLength: 3 }) },
);

function formOf(fields: Record<string, unknown>, csrf: string): string {
  const params = new URLSearchParams();
  params.append('_csrf', csrf);
  for (const [name, value] of Object.entries(fields)) {
    for (const v of ([] as unknown[]).concat(value ?? [])) params.append(name, String(v));
  }
  return params.toString();
}

/** Values a real form would send, so that the fuzzer reaches accepted saves as well as refused ones. */
const PLAUSIBLE: Record<string, fc.Arbitrary<string>> = {
  title: fc.string({ minLength: 1, maxLength: 60 }).map((s) => `T ${s}`),
  slug: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  markdown: fc.string({ maxLength: 400 }),
  tags: fc.array(fc.stringMatching(/^[A-Za-z][\w ]{0,10}$/), { maxLength: 4 }).map((a) => a.join(', ')),
  status: fc.constantFrom('draft', 'published'),
  publishedAt: fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 16)),
  navOrder: fc.integer({ min: -5, max: 50 }).map(String),
  description: fc.string({ maxLength: 100 }),
  authorName: fc.string({ maxLength: 40 }),
  authorBio: fc.string({ maxLength: 200 }),
  navLinks: fc.constantFrom('', 'About | /about', 'Home | https://example.com\nMail | mailto:a@example.com'),
  socialLinks: fc.constantFrom('', 'Mastodon | https://social.example/@me'),
  postsPerPage: fc.integer({ min: 1, max: 100 }).map(String),
  language: fc.constantFrom('en', 'pt-BR', 'ja'),
};

const POST_FIELDS = ['title', 'slug', 'markdown', 'tags', 'status', 'publishedAt'];
const PAGE_FIELDS = ['title', 'slug', 'markdown', 'status', 'navOrder'];
const SETTINGS_FIELDS = [
  'title',
  'description',
  'authorName',
  'authorBio',
  'navLinks',
  'socialLinks',
  'postsPerPage',
  'language',
];
const record = (names: string[]) =>
  fc.record(
    Object.fromEntries(
      names.map((n) => [n, fc.oneof({ weight: 3, arbitrary: PLAUSIBLE[n] }, { weight: 2, arbitrary: formValue })]),
    ),
    { requiredKeys: [] },
  );

describe('fuzzing every admin form and query parameter (fast-check)', () => {
  let t: TestApp;
  let admin: Agent;
  let csrf: string;
  let db: Database.Database;
  const ids = { post: 0, page: 0, tag: 0, otherTag: 0 };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(await freePort(), '127.0.0.1');
    const post = await t.createPost({ title: 'Seed post', markdown: 'Seed text', tags: ['Seed', 'Other'] });
    const page = await t.createPage({ title: 'Seed page', markdown: 'About' });
    ids.post = post.id;
    ids.page = page.id;
    ({ agent: admin, csrf } = await loggedInAgent(t));
    db = new Database(t.databasePath, { readonly: true });
    const tags = db.prepare('SELECT id FROM tag ORDER BY id').all() as { id: number }[];
    [ids.tag, ids.otherTag] = tags.map((r) => r.id);
  });
  afterAll(async () => {
    db?.close();
    await t.close();
  });

  /** Everything the author could have changed, as one digest: equal digests, nothing written. */
  function fingerprint(): string {
    const tables = ['post', 'page', 'tag', 'post_tags', 'setting', 'revision', 'slug_redirect', 'user'];
    const hash = createHash('sha256');
    for (const table of tables) hash.update(JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()));
    hash.update(JSON.stringify(indexedPosts(db)));
    hash.update(JSON.stringify(db.prepare('SELECT id, filename, sha256 FROM media ORDER BY id').all()));
    return hash.digest('hex');
  }

  /**
   * SQLite's own check, on a fresh connection: FTS5 caches its index structure per connection, and
   * a reader that cached it before the app wrote reports a "malformed inverted index" that is not there.
   */
  function quickCheck(): string {
    const fresh = new Database(t.databasePath, { readonly: true });
    try {
      return (fresh.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check;
    } finally {
      fresh.close();
    }
  }

  /** What must hold after any save: no post without its search row or first revision, no dangling rows. */
  function consistency(): Record<string, unknown> {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      integrity: quickCheck(),
      foreignKeys: db.prepare('PRAGMA foreign_key_check').all().length,
      postsNotIndexed: one(
        'SELECT count(*) AS n FROM post p WHERE NOT EXISTS (SELECT 1 FROM post_search s WHERE s.rowid = p.id)',
      ),
      indexWithoutPost: one(
        'SELECT count(*) AS n FROM post_search s WHERE NOT EXISTS (SELECT 1 FROM post p WHERE p.id = s.rowid)',
      ),
      postsWithoutRevision: one(
        'SELECT count(*) AS n FROM post p WHERE NOT EXISTS (SELECT 1 FROM revision r WHERE r.post_id = p.id)',
      ),
      emptyTitles: one(
        `SELECT count(*) AS n FROM (SELECT title FROM post UNION ALL SELECT title FROM page) WHERE trim(title) = ''`,
      ),
      badSlugs: one(
        `SELECT count(*) AS n FROM (SELECT slug FROM post UNION ALL SELECT slug FROM page UNION ALL SELECT slug FROM tag) WHERE slug = '' OR slug GLOB '*[ /?#]*'`,
      ),
      controlChars: one(`SELECT count(*) AS n FROM post WHERE instr(title, char(0)) > 0 OR instr(markdown, char(0)) > 0`),
    };
  }
  const CONSISTENT = {
    integrity: 'ok',
    foreignKeys: 0,
    postsNotIndexed: 0,
    indexWithoutPost: 0,
    postsWithoutRevision: 0,
    emptyTitles: 0,
    badSlugs: 0,
    controlChars: 0,
  };

  interface Outcome {
    status: number;
    location: string;
  }

  /** Posts a form; asserts no 5xx, nothing written on a refusal, and a consistent database either way. */
  async function submit(path: string, body: string, agent: Agent = admin): Promise<Outcome> {
    const before = fingerprint();
    const res = await agent.post(path).type('form').send(body).redirects(0);
    if (res.status >= 500) throw new Error(`${res.status} from POST ${path} with ${body.slice(0, 500)}`);
    if (res.status >= 400) expect(fingerprint()).toBe(before);
    expect(consistency()).toEqual(CONSISTENT);
    return { status: res.status, location: String(res.headers.location ?? '') };
  }

  const statuses = new Map<string, Map<number, number>>();
  const accepted = new Map<string, number>();
  /** Counts an outcome; `saved` only when the answer is the form's own success (its redirect, not the login's). */
  const count = (name: string, status: number, saved = false) => {
    if (!statuses.has(name)) statuses.set(name, new Map());
    const byStatus = statuses.get(name)!;
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (saved) accepted.set(name, (accepted.get(name) ?? 0) + 1);
  };
  const saved = (outcome: Outcome, success: RegExp): [number, boolean] => [
    outcome.status,
    outcome.status === 303 && success.test(outcome.location),
  ];
  /**
   * A broken CSRF token or session turns every case into a 403 or a redirect to the login, which
   * the checks above would all accept: each form must really save a share of its cases. Measured
   * with 50 runs per form (two runs): new posts 34 / 36 %, post edits 38 / 28 %, pages (new and
   * edit) 34 / 40 %, settings 20 / 10 % (eight fields must all be valid), tags (rename and merge)
   * 26 / 28 %, preview 100 %, uploads 50 / 52 %. Each minimum sits far enough below that chance
   * alone fails it less than once in a thousand runs (binomial tail), and far above the 0 % of a
   * broken token or session.
   */
  const MIN_SAVED: [string, string[], number][] = [
    ['new posts', ['new post'], 0.1],
    ['post edits', ['edit post'], 0.1],
    ['pages', ['new page', 'edit page'], 0.1],
    ['settings', ['settings'], 0.02],
    ['tags', ['tag rename', 'tag merge'], 0.06],
    ['preview', ['preview'], 0.95],
    ['uploads', ['upload'], 0.2],
  ];
  function expectSaved(form: string): void {
    const [, names, min] = MIN_SAVED.find(([f]) => f === form)!;
    const total = names.flatMap((n) => [...(statuses.get(n)?.values() ?? [])]).reduce((a, b) => a + b, 0);
    const share = total === 0 ? 0 : names.reduce((sum, n) => sum + (accepted.get(n) ?? 0), 0) / total;
    expect({ form, share, atLeast: min, enough: share >= min }).toEqual({ form, share, atLeast: min, enough: true });
  }
  afterAll(() => {
    // The spread of outcomes, for SECURITY.md: proof that the fuzzer reached both accepted and refused saves.
    const summary = [...statuses].map(
      ([name, s]) => `${name}: ${[...s].map(([k, v]) => `${k}×${v}`).join(' ')} (saved ${accepted.get(name) ?? 0})`,
    );
    process.stdout.write(`fuzz outcomes (${RUNS} runs each)\n  ${summary.join('\n  ')}\n`);
  });

  it('new posts', async () => {
    await fc.assert(
      fc.asyncProperty(record(POST_FIELDS), async (fields) =>
        count(
          'new post',
          ...saved(await submit('/admin/posts/new', formOf(fields, csrf)), /^\/admin\/posts\/\d+\/edit\?notice=/),
        ),
      ),
      { numRuns: RUNS },
    );
    expectSaved('new posts');
  });

  it('post edits', async () => {
    await fc.assert(
      fc.asyncProperty(record(POST_FIELDS), async (fields) =>
        count(
          'edit post',
          ...saved(
            await submit(`/admin/posts/${ids.post}/edit`, formOf(fields, csrf)),
            new RegExp(`^/admin/posts/${ids.post}/edit\\?notice=`),
          ),
        ),
      ),
      { numRuns: RUNS },
    );
    expectSaved('post edits');
  });

  it('new pages and page edits', async () => {
    await fc.assert(
      fc.asyncProperty(record(PAGE_FIELDS), fc.boolean(), async (fields, edit) => {
        const path = edit ? `/admin/pages/${ids.page}/edit` : '/admin/pages/new';
        const success = edit
          ? new RegExp(`^/admin/pages/${ids.page}/edit\\?notice=saved$`)
          : /^\/admin\/pages\/\d+\/edit\?notice=saved$/;
        count(edit ? 'edit page' : 'new page', ...saved(await submit(path, formOf(fields, csrf)), success));
      }),
      { numRuns: RUNS },
    );
    expectSaved('pages');
  });

  it('site settings', async () => {
    await fc.assert(
      fc.asyncProperty(record(SETTINGS_FIELDS), async (fields) =>
        count('settings', ...saved(await submit('/admin/settings', formOf(fields, csrf)), /^\/admin\/settings\?notice=saved$/)),
      ),
      { numRuns: RUNS },
    );
    expectSaved('settings');
    // Whatever was saved, the site still renders.
    await request(t.server).get('/').expect(200);
  });

  it('tag rename and merge', async () => {
    await fc.assert(
      fc.asyncProperty(
        formValue,
        fc.oneof(formValue, fc.integer({ min: 1, max: 6 }).map(String)),
        fc.boolean(),
        async (name, into, merge) => {
          const tags = db.prepare('SELECT id FROM tag ORDER BY id').all() as { id: number }[];
          const id = tags[0]?.id ?? ids.tag;
          const path = merge ? `/admin/tags/${id}/merge` : `/admin/tags/${id}/rename`;
          const outcome = await submit(path, formOf(merge ? { into } : { name }, csrf));
          count(
            merge ? 'tag merge' : 'tag rename',
            ...saved(outcome, merge ? /^\/admin\/tags\?notice=merged$/ : /^\/admin\/tags\?notice=renamed$/),
          );
        },
      ),
      { numRuns: RUNS },
    );
    expectSaved('tags');
  });

  it('preview', async () => {
    await fc.assert(
      fc.asyncProperty(formValue, formValue, async (markdown, title) => {
        const { status } = await submit('/admin/preview', formOf({ markdown, title }, csrf));
        count('preview', status, status === 200);
      }),
      { numRuns: RUNS },
    );
    expectSaved('preview');
  });

  it('login (CSRF, throttle and all)', async () => {
    const throttle = t.app.get(LoginThrottle);
    await fc.assert(
      fc.asyncProperty(formValue, formValue, formValue, fc.boolean(), async (username, password, next, withToken) => {
        const agent = request.agent(t.server);
        const token = withToken ? csrfFrom((await agent.get('/admin/login').expect(200)).text) : 'forged';
        const { status } = await submit('/admin/login', formOf({ username, password, next }, token), agent);
        expect([303, 401, 403, 413, 429]).toContain(status);
        // The token check itself must work both ways: a real token always passes it, a forged one never.
        expect({ withToken, forbidden: status === 403 }).toEqual({ withToken, forbidden: !withToken });
        count('login', status);
        // Start each case afresh, so that the inputs reach the password check rather than the 429.
        for (const client of ['127.0.0.1', '::ffff:127.0.0.1', '::1']) await throttle.succeeded(client);
      }),
      { numRuns: RUNS },
    );
  });

  it('media uploads: any file name, any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 120 }),
        fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }).map((a) => Buffer.from(a)),
          fc.integer({ min: 1, max: 40 }).map((n) => png(n, n, n)),
        ),
        async (name, bytes) => {
          const before = fingerprint();
          const res = await admin
            .post('/admin/media')
            .set('X-CSRF-Token', csrf)
            .set('Accept', 'application/json')
            .attach('file', bytes, name);
          if (res.status >= 500) throw new Error(`${res.status} uploading ${JSON.stringify(name)} (${bytes.length} bytes)`);
          if (res.status >= 400) expect(fingerprint()).toBe(before);
          else {
            // The stored image is served back, byte for byte, under the URL the editor was given.
            const served = await request(t.server)
              .get((res.body as { url: string }).url)
              .buffer(true)
              .expect(200);
            expect(Buffer.compare(served.body as Buffer, bytes)).toBe(0);
          }
          expect(consistency()).toEqual(CONSISTENT);
          count('upload', res.status, res.status === 201);
        },
      ),
      { numRuns: RUNS },
    );
    expectSaved('uploads');
  });

  it('every query parameter of every GET route', async () => {
    const routes = [
      (v: string) => `/?page=${v}`,
      (v: string) => `/search?q=${v}&page=${v}`,
      (v: string) => `/tags/seed?page=${v}`,
      (v: string) => `/posts/${v}`,
      (v: string) => `/tags/${v}`,
      (v: string) => `/${v}`,
      (v: string) => `/media/${v}/${v}`,
      (v: string) => `/feed.xml?${v}=${v}`,
      (v: string) => `/admin/login?next=${v}&notice=${v}`,
    ];
    const adminRoutes = [
      (v: string) => `/admin/posts?status=${v}&q=${v}&page=${v}&notice=${v}`,
      (v: string) => `/admin/posts/${v}/edit`,
      (v: string) => `/admin/posts/${ids.post}/revisions/${v}`,
      (v: string) => `/admin/pages/${v}/edit?notice=${v}`,
      (v: string) => `/admin/settings?notice=${v}&replication=${v}`,
      (v: string) => `/admin/media?notice=${v}`,
    ];
    const before = fingerprint();
    await fc.assert(
      fc.asyncProperty(hostile, async (value) => {
        const v = encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
        for (const route of routes) {
          const res = await request(t.server).get(route(v)).redirects(0);
          if (res.status >= 500) throw new Error(`${res.status} from GET ${route(v)}`);
          count('GET reader', res.status);
        }
        for (const route of adminRoutes) {
          const res = await admin.get(route(v)).redirects(0);
          if (res.status >= 500) throw new Error(`${res.status} from GET ${route(v)}`);
          // Still the author: a lost session would send every admin route to the login form.
          expect(String(res.headers.location ?? '')).not.toMatch(/^\/admin\/login/);
          count('GET admin', res.status);
        }
      }),
      { numRuns: RUNS },
    );
    // Reading never writes (view counters aside, which are batched and not in the fingerprint).
    expect(fingerprint()).toBe(before);
  });
});
