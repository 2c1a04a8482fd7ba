import { loggedInAgent, type Agent } from './support/admin-agent.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { CLOUD_RUN_MAX_REQUEST_BYTES, WEB_IMPORT_MAX_BYTES } from '../src/admin/import-limit.js';

/** Cloud Run refuses HTTP/1 requests over 32 MiB: the admin's import says so, and refuses the same. */
describe('the web import fits in one Cloud Run request', () => {
  let t: TestApp;
  let agent: Agent;
  let csrf: string;

  beforeAll(async () => {
    t = await startTestApp();
    ({ agent, csrf } = await loggedInAgent(t));
  });
  afterAll(() => t.close());

  const url = () => `/admin/backup/import?_csrf=${encodeURIComponent(csrf)}`;
  const cliHint = 'npm run import';

  it('states the limit on the form, before anything is uploaded', async () => {
    const page = await agent.get('/admin/backup').expect(200);
    expect(page.text).toContain('At most 31 MB here: Cloud Run refuses larger requests.');
    expect(page.text).toContain(cliHint);
    expect(WEB_IMPORT_MAX_BYTES).toBeLessThan(CLOUD_RUN_MAX_REQUEST_BYTES);
  });

  it('refuses a request Cloud Run would refuse by its Content-Length, naming the limit and the CLI', async () => {
    const res = await agent
      .post(url())
      .set('Content-Type', 'multipart/form-data; boundary=x')
      .set('Content-Length', String(CLOUD_RUN_MAX_REQUEST_BYTES + 1))
      .send('--x\r\n')
      .expect(413);
    expect(res.text).toContain('An import uploaded here may be at most 31 MB (Cloud Run refuses requests over 32 MB).');
    expect(res.text).toContain(cliHint);
    expect(res.text).not.toMatch(/at \w+ \(.*\.js:\d+/); // no stack trace
  });

  it('refuses a file over the limit in a request under 32 MiB, and reads one just under it', async () => {
    const over = Buffer.alloc(WEB_IMPORT_MAX_BYTES + 1, 0x20);
    const refused = await agent.post(url()).attach('files', over, 'big.json').expect(413);
    expect(refused.text).toContain('An import uploaded here may be at most 31 MB');
    // Just under the limit: read and judged on its content (not JSON here), not refused for its size.
    const under = Buffer.alloc(WEB_IMPORT_MAX_BYTES - 1024, 0x20);
    under.write('{"not":');
    const read = await agent.post(url()).attach('files', under, 'big.json').expect(400);
    expect(read.text).toContain('Import refused');
  }, 60_000);
});
