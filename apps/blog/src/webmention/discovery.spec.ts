import type { IncomingHttpHeaders } from 'node:http';

import { discoverEndpoint } from './discovery.js';

const PAGE = 'https://webmention.rocks/test/1';
const page = (headers: IncomingHttpHeaders, html = '', url = PAGE) => ({
  url,
  headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
  body: Buffer.from(html),
});
const doc = (head: string, body = '') => `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;

/** The discovery tests of webmention.rocks (1–23), the spec's test suite, as pages in memory. */
describe('discoverEndpoint (webmention.rocks discovery tests)', () => {
  it.each([
    [
      '1: Link header, unquoted rel, relative URL',
      page({ link: '</test/1/webmention?head=true>; rel=webmention' }),
      'https://webmention.rocks/test/1/webmention?head=true',
    ],
    [
      '2: Link header, unquoted rel, absolute URL',
      page({ link: '<https://webmention.rocks/test/2/webmention?head=true>; rel=webmention' }),
      'https://webmention.rocks/test/2/webmention?head=true',
    ],
    [
      '3: <link>, relative URL',
      page({}, doc('<link rel="webmention" href="/test/3/webmention">')),
      'https://webmention.rocks/test/3/webmention',
    ],
    [
      '4: <link>, absolute URL',
      page({}, doc('<link rel="webmention" href="https://webmention.rocks/test/4/webmention">')),
      'https://webmention.rocks/test/4/webmention',
    ],
    [
      '5: <a>, relative URL',
      page({}, doc('', '<a rel="webmention" href="/test/5/webmention">x</a>')),
      'https://webmention.rocks/test/5/webmention',
    ],
    [
      '6: <a>, absolute URL',
      page({}, doc('', '<a rel="webmention" href="https://webmention.rocks/test/6/webmention">x</a>')),
      'https://webmention.rocks/test/6/webmention',
    ],
    [
      '7: Link header with strange casing',
      page({ link: '<https://webmention.rocks/test/7/webmention?head=true>; rel=WebMention' }),
      'https://webmention.rocks/test/7/webmention?head=true',
    ],
    [
      '8: Link header, quoted rel',
      page({ link: '<https://webmention.rocks/test/8/webmention?head=true>; rel="webmention"' }),
      'https://webmention.rocks/test/8/webmention?head=true',
    ],
    [
      '9: multiple rel values on a <link>',
      page({}, doc('<link rel="webmention somethingelse" href="/test/9/webmention">')),
      'https://webmention.rocks/test/9/webmention',
    ],
    [
      '10: multiple rel values on a Link header',
      page({ link: '<https://webmention.rocks/test/10/webmention?head=true>; rel="webmention somethingelse"' }),
      'https://webmention.rocks/test/10/webmention?head=true',
    ],
    [
      '11: Link header, <link> and <a>: the header wins',
      page(
        { link: '</test/11/webmention>; rel="webmention"' },
        doc('<link rel="webmention" href="/error">', '<a rel="webmention" href="/error">x</a>'),
      ),
      'https://webmention.rocks/test/11/webmention',
    ],
    [
      '12: rel="not-webmention" is no match',
      page({}, doc('<link rel="not-webmention" href="/error"><link rel="webmention" href="/test/12/webmention">')),
      'https://webmention.rocks/test/12/webmention',
    ],
    [
      '13: an endpoint inside an HTML comment is none',
      page({}, doc('', '<!-- <a rel="webmention" href="/error"></a> --><a rel="webmention" href="/test/13/webmention">x</a>')),
      'https://webmention.rocks/test/13/webmention',
    ],
    [
      '14: an endpoint in escaped HTML is none',
      page(
        {},
        doc(
          '',
          '<code>&lt;a href="/error" rel="webmention"&gt;&lt;/a&gt;</code><a rel="webmention" href="/test/14/webmention">x</a>',
        ),
      ),
      'https://webmention.rocks/test/14/webmention',
    ],
    [
      '15: empty href is the page itself',
      page({}, doc('<link rel="webmention" href="">'), 'https://webmention.rocks/test/15'),
      'https://webmention.rocks/test/15',
    ],
    [
      '16: <a> before <link>: the first in the document',
      page(
        {},
        '<!doctype html><html><body><a rel="webmention" href="/test/16/webmention">x</a><link rel="webmention" href="/error"></body></html>',
      ),
      'https://webmention.rocks/test/16/webmention',
    ],
    [
      '17: <link> before <a>',
      page({}, doc('<link rel="webmention" href="/test/17/webmention">', '<a rel="webmention" href="/error">x</a>')),
      'https://webmention.rocks/test/17/webmention',
    ],
    [
      '18: multiple Link headers',
      page({ link: ['<https://webmention.rocks/test/18/webmention?head=true>; rel="webmention"', '</error>; rel="other"'] }),
      'https://webmention.rocks/test/18/webmention?head=true',
    ],
    [
      '19: one Link header with several values',
      page({
        link: '<https://webmention.rocks/test/19/webmention/error>; rel="other", <https://webmention.rocks/test/19/webmention>; rel="webmention"',
      }),
      'https://webmention.rocks/test/19/webmention',
    ],
    [
      '20: <link> without href is skipped',
      page({}, doc('<link rel="webmention">', '<a rel="webmention" href="/test/20/webmention">x</a>')),
      'https://webmention.rocks/test/20/webmention',
    ],
    [
      '21: the endpoint keeps its query string',
      page({}, doc('<link rel="webmention" href="/test/21/webmention?query=yes">')),
      'https://webmention.rocks/test/21/webmention?query=yes',
    ],
    [
      "22: relative to the page's path",
      page({}, doc('<link rel="webmention" href="22/webmention">'), 'https://webmention.rocks/test/22'),
      'https://webmention.rocks/test/22/webmention',
    ],
    [
      '23: relative to the URL after redirects',
      page({ link: '<webmention-endpoint/7a2c>; rel="webmention"' }, '', 'https://webmention.rocks/test/23/page/redirected'),
      'https://webmention.rocks/test/23/page/webmention-endpoint/7a2c',
    ],
  ])('%s', async (_name, fetched, endpoint) => {
    expect(await discoverEndpoint(fetched)).toBe(endpoint);
  });

  it('finds none on a page that advertises none, and never a non-http endpoint', async () => {
    expect(await discoverEndpoint(page({}, doc('<link rel="stylesheet" href="/x.css">')))).toBeNull();
    expect(await discoverEndpoint(page({}, doc('<link rel="webmention" href="javascript:alert(1)">')))).toBeNull();
    expect(await discoverEndpoint(page({ 'content-type': 'application/json' }, '<link rel="webmention" href="/x">'))).toBeNull();
  });
});
