import { request as httpRequest } from 'node:http';

import { MAX_REQUEST_BYTES } from './front-proxy.js';
import { report, type Scenario, startScenario } from './scenario.js';

/**
 * Scenario 7: Cloud Run's front end refuses HTTP/1 requests over 32 MiB with 413 before an
 * instance sees them. The admin's import page must state a limit that fits, and a file at that
 * limit must reach the app.
 */
describe('requests over 32 MiB', () => {
  let s: Scenario | undefined;
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  /** A raw HTTP/1.1 POST: declared length, or chunked (no Content-Length) when `chunked`. */
  function post(url: string, path: string, body: Buffer, headers: Record<string, string>, chunked = false) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${url}${path}`, {
        method: 'POST',
        headers: chunked ? headers : { ...headers, 'Content-Length': String(body.length) },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      // The front end may answer and close before the whole body is sent: that is the answer.
      req.on('error', (err) => (err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err)));
      for (let at = 0; at < body.length; at += 1024 * 1024) req.write(body.subarray(at, at + 1024 * 1024));
      req.end();
    });
  }

  function multipart(file: Buffer, boundary: string): Buffer {
    return Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="dryRun"\r\n\r\n1\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="export.json"\r\nContent-Type: application/json\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  }

  it('are refused by the front proxy with 413, and the import page states a limit that fits', async () => {
    s = await startScenario();
    const admin = await s.admin();
    const page = await (await admin.request('GET', '/admin/backup')).text();
    const csrf = /name="_csrf" value="([^"]+)"|_csrf=([^"&]+)/.exec(page);
    const token = csrf?.[1] ?? csrf?.[2] ?? '';
    const stated = /At most (\d+(?:\.\d+)?) MB/.exec(page);
    expect(stated).not.toBeNull();
    const statedBytes = Number(stated![1]) * 2 ** 20;
    const headers = { Cookie: admin.cookieHeader(), 'Content-Type': 'multipart/form-data; boundary=cloudrun' };
    const path = `/admin/backup/import?_csrf=${encodeURIComponent(token)}`;

    const over = await post(s.cloudRun.url, path, multipart(Buffer.alloc(MAX_REQUEST_BYTES, 0x20), 'cloudrun'), headers);
    const overChunked = await post(
      s.cloudRun.url,
      path,
      multipart(Buffer.alloc(MAX_REQUEST_BYTES, 0x20), 'cloudrun'),
      headers,
      true,
    );
    // A file exactly as large as the page allows: it must reach the app (its answer, not the front end's).
    const atLimit = await post(s.cloudRun.url, path, multipart(Buffer.alloc(statedBytes, 0x20), 'cloudrun'), headers);
    report('requests over 32 MiB', {
      declared: over.status,
      chunked: overChunked.status,
      statedLimitMiB: stated![1],
      atStatedLimit: atLimit.status,
      atStatedLimitFromFrontEnd: /That’s an error/.test(atLimit.text),
    });
    expect(over.status).toBe(413);
    expect(over.text).toMatch(/Your client issued a request that was too large/);
    expect(overChunked.status).toBe(413);
    expect(s.cloudRun.meter.refusedTooLarge).toBeGreaterThanOrEqual(2);
    expect(atLimit.text).not.toMatch(/That’s an error/);
    expect(statedBytes).toBeLessThan(MAX_REQUEST_BYTES);
  }, 180_000);
});
