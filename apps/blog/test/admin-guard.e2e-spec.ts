import request from 'supertest';

import { startTestApp, type TestApp } from './support/test-app.js';

interface Route {
  method: string;
  path: string;
}

/** Every route Express knows, read from the router Nest built: a new admin route is covered without editing this test. */
function routes(t: TestApp): Route[] {
  const router = (
    t.app.getHttpAdapter().getInstance() as {
      router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    }
  ).router;
  return (
    router.stack
      // Wildcard paths are middleware Nest mounted on the router, not handlers.
      .filter((layer) => layer.route && !layer.route.path.includes('{*'))
      .flatMap((layer) =>
        Object.keys(layer.route!.methods).map((method) => ({ method: method.toUpperCase(), path: layer.route!.path })),
      )
  );
}

const PUBLIC_ADMIN = new Set(['GET /admin/login', 'POST /admin/login']);

describe('admin guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.createPost({ title: 'Target', markdown: 'x' });
  });
  afterAll(() => t.close());

  it('finds the admin routes (the enumeration itself works)', () => {
    const admin = routes(t).filter((r) => r.path.startsWith('/admin'));
    expect(admin.length).toBeGreaterThan(20);
    expect(admin).toContainEqual({ method: 'POST', path: '/admin/posts/:id/edit' });
  });

  it('lets no anonymous request through to any admin route but the login form', async () => {
    const guarded = routes(t).filter((r) => r.path.startsWith('/admin') && !PUBLIC_ADMIN.has(`${r.method} ${r.path}`));
    for (const route of guarded) {
      const path = route.path.replace(/:\w+/g, '1');
      const method = route.method.toLowerCase() as 'get' | 'post';
      const res = await request(t.server)[method](path).type('form').send({ title: 'pwned', markdown: 'x' });
      // GETs are sent to the login form (303); anything else gets 401. Never a 2xx.
      expect(`${route.method} ${route.path} → ${res.status}`).toMatch(/ → (303|401)$/);
      if (res.status === 303) expect(res.headers.location).toMatch(/^\/admin\/login\?next=/);
    }
    // Nothing was written by any of them.
    expect(await t.run(() => t.services.posts.count())).toBe(1);
  });
});
