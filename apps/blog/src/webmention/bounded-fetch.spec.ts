import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { BoundedFetch, FetchError } from './bounded-fetch.js';
import { discoverEndpoint } from './discovery.js';

const BOUNDS = { timeoutMs: 1_000, maxBytes: 10_000, maxRedirects: 2 };

/** A real HTTP server on 127.0.0.1: what Webmention's fetches meet, without leaving the machine. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/ok') return res.end('<a href="/x">x</a>');
    if (url.startsWith('/hop/')) {
      const n = Number(url.slice(5));
      res.writeHead(302, { Location: n > 0 ? `/hop/${n - 1}` : '/page/final' });
      return res.end();
    }
    if (url === '/page/final') {
      res.writeHead(200, { 'Content-Type': 'text/html', Link: '<endpoint>; rel="webmention"' });
      return res.end('');
    }
    if (url === '/big') return res.end('x'.repeat(20_000));
    if (url === '/big-chunked') {
      res.write('x'.repeat(8_000));
      return setTimeout(() => res.end('x'.repeat(8_000)), 10);
    }
    if (url === '/slow') return setTimeout(() => res.end('late'), 3_000).unref();
    if (url === '/to-ftp') {
      res.writeHead(302, { Location: 'ftp://127.0.0.1/x' });
      return res.end();
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'none',
    (e: unknown) => (e instanceof FetchError ? e.reason : String(e)),
  );

describe('BoundedFetch', () => {
  const loopback = new BoundedFetch(true);

  it('refuses loopback and private addresses unless the test switch allows loopback', async () => {
    const production = new BoundedFetch(false);
    expect(await reason(production.get(`${base}/ok`, BOUNDS))).toBe('refused-address');
    expect(await reason(production.get('http://localhost:1/ok', BOUNDS))).toBe('refused-address');
    expect(await reason(production.get('http://[::1]:1/', BOUNDS))).toBe('refused-address');
    expect(await reason(production.get('http://10.0.0.1/', BOUNDS))).toBe('refused-address');
    expect(await reason(production.get('http://169.254.169.254/computeMetadata/v1/', BOUNDS))).toBe('refused-address');
    expect(await reason(production.get('http://[::ffff:127.0.0.1]:1/', BOUNDS))).toBe('refused-address');
    // The switch opens loopback only.
    expect((await loopback.get(`${base}/ok`, BOUNDS)).status).toBe(200);
    expect(await reason(loopback.get('http://10.0.0.1/', BOUNDS))).toBe('refused-address');
  });

  it('follows redirects up to the bound, and discovery resolves against the final URL', async () => {
    const page = await loopback.get(`${base}/hop/1`, BOUNDS);
    expect(page.url).toBe(`${base}/page/final`);
    expect(await discoverEndpoint(page)).toBe(`${base}/page/endpoint`);
    expect(await reason(loopback.get(`${base}/hop/5`, BOUNDS))).toBe('too-many-redirects');
    expect(await reason(loopback.get(`${base}/to-ftp`, BOUNDS))).toBe('bad-scheme');
  });

  it('stops at the size bound (declared or streamed) and at the time bound', async () => {
    expect(await reason(loopback.get(`${base}/big`, BOUNDS))).toBe('too-large');
    expect(await reason(loopback.get(`${base}/big-chunked`, BOUNDS))).toBe('too-large');
    const started = Date.now();
    expect(await reason(loopback.get(`${base}/slow`, BOUNDS))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('fetches http and https only', async () => {
    expect(await reason(loopback.get('file:///etc/passwd', BOUNDS))).toBe('bad-scheme');
    expect(await reason(loopback.get('gopher://127.0.0.1/', BOUNDS))).toBe('bad-scheme');
  });
});
