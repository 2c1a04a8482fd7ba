import request from 'supertest';

import { ADMIN_PASSWORD, type TestApp } from './test-app.js';

export type Agent = ReturnType<typeof request.agent>;

/** The `_csrf` value of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('No _csrf field on the page');
  return match[1];
}

/** A browser-like client: fetches the login form, logs in, keeps the cookies. */
export async function loggedInAgent(t: TestApp, password = ADMIN_PASSWORD): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(t.server);
  const form = await agent.get('/admin/login').expect(200);
  await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrfFrom(form.text), username: 'admin', password, next: '/admin' })
    .expect(303)
    .expect('Location', '/admin');
  const dashboard = await agent.get('/admin').expect(200);
  return { agent, csrf: csrfFrom(dashboard.text) };
}
