import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/** The bounds of every fetch Webmention makes of someone else's server. */
export interface FetchBounds {
  /** The whole fetch, redirects included. */
  timeoutMs: number;
  /** Bytes of body read at most; a longer body fails the fetch (`too-large`). */
  maxBytes: number;
  maxRedirects: number;
}

export const DEFAULT_BOUNDS: FetchBounds = { timeoutMs: 5_000, maxBytes: 1024 * 1024, maxRedirects: 5 };

export interface FetchedPage {
  /** The URL after redirects: relative links resolve against it. */
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type FetchFailure = 'refused-address' | 'bad-scheme' | 'too-large' | 'timeout' | 'too-many-redirects' | 'network';

export class FetchError extends Error {
  constructor(
    readonly reason: FetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

const USER_AGENT = 'Inkstone-Webmention (+https://www.w3.org/TR/webmention/)';

/**
 * Fetches remote URLs for Webmention with every bound the brief asks for: http(s) only, at most
 * `maxRedirects` redirects (each hop checked again), `maxBytes` of body, `timeoutMs` for all of
 * it. The address actually connected to is checked by request-filtering-agent, in the socket's
 * DNS lookup (so a name that resolves to 10.x or 127.x is refused, and so is a redirect to one):
 * no private, loopback, link-local or unspecified address. `allowLoopback` (tests only, refused in
 * production by the config) lets 127.0.0.1 and ::1 through and nothing else.
 */
export class BoundedFetch {
  private readonly http: RequestFilteringHttpAgent;
  private readonly https: RequestFilteringHttpsAgent;

  constructor(allowLoopback: boolean) {
    const filter = { allowIPAddressList: allowLoopback ? ['127.0.0.1', '::1'] : [] };
    // keepAlive off: a connection is never reused for a different, unchecked request.
    this.http = new RequestFilteringHttpAgent({ keepAlive: false, ...filter });
    this.https = new RequestFilteringHttpsAgent({ keepAlive: false, ...filter });
  }

  async get(url: string, bounds: FetchBounds = DEFAULT_BOUNDS, accept = 'text/html, */*;q=0.5'): Promise<FetchedPage> {
    return this.follow('GET', url, undefined, bounds, accept);
  }

  /** A form POST (the Webmention itself); redirects are followed as the spec allows (307/308 keep the POST). */
  async postForm(url: string, form: Record<string, string>, bounds: FetchBounds = DEFAULT_BOUNDS): Promise<FetchedPage> {
    return this.follow('POST', url, new URLSearchParams(form).toString(), { ...bounds, maxRedirects: 0 }, '*/*');
  }

  private async follow(method: 'GET' | 'POST', start: string, body: string | undefined, bounds: FetchBounds, accept: string) {
    const deadline = AbortSignal.timeout(bounds.timeoutMs);
    let url = start;
    for (let hop = 0; ; hop++) {
      const page = await this.once(method, url, body, bounds, accept, deadline);
      const location = page.headers.location;
      if (page.status >= 300 && page.status < 400 && location && method === 'GET') {
        if (hop >= bounds.maxRedirects) throw new FetchError('too-many-redirects', `more than ${bounds.maxRedirects} redirects`);
        url = new URL(location, url).href;
        continue;
      }
      return page;
    }
  }

  private once(
    method: string,
    raw: string,
    body: string | undefined,
    bounds: FetchBounds,
    accept: string,
    signal: AbortSignal,
  ): Promise<FetchedPage> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return Promise.reject(new FetchError('bad-scheme', 'not a URL'));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new FetchError('bad-scheme', `only http and https URLs are fetched (got ${url.protocol})`));
    }
    if (signal.aborted) return Promise.reject(new FetchError('timeout', `no answer within ${bounds.timeoutMs} ms`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<FetchedPage>((resolve, reject) => {
      const req = send(url, {
        method,
        agent: url.protocol === 'https:' ? this.https : this.http,
        signal,
        headers: {
          'User-Agent': USER_AGENT,
          Accept: accept,
          ...(body === undefined
            ? {}
            : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) }),
        },
      });
      req.on('response', (res) => {
        const declared = Number(res.headers['content-length']);
        if (declared > bounds.maxBytes) {
          res.destroy();
          reject(new FetchError('too-large', `the page is larger than ${bounds.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > bounds.maxBytes) {
            res.destroy();
            reject(new FetchError('too-large', `the page is larger than ${bounds.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ url: url.href, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (err) => reject(classify(err, bounds)));
      });
      req.on('error', (err) => reject(classify(err, bounds)));
      req.end(body);
    });
  }
}

function classify(err: Error, bounds: FetchBounds): FetchError {
  if (err instanceof FetchError) return err;
  if (err.name === 'AbortError' || err.name === 'TimeoutError')
    return new FetchError('timeout', `no answer within ${bounds.timeoutMs} ms`);
  if (/is not allowed\. Because/.test(err.message)) return new FetchError('refused-address', 'the address is not a public one');
  return new FetchError('network', 'the server could not be reached');
}
