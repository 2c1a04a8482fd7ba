import { classifyMention, EXCERPT_MAX } from './classify.js';
import { linksOf, linksTo } from './html-links.js';

const TARGET = 'https://blog.example/posts/hello';
const SOURCE = 'https://other.example/notes/1';
const entry = (inner: string) => `<!doctype html><body><article class="h-entry">${inner}</article></body>`;
const author =
  '<span class="p-author h-card"><img class="u-photo" src="/me.jpg" alt=""><a class="u-url p-name" href="/about">Ada Lovelace</a></span>';

describe('classifyMention', () => {
  it.each([
    ['reply', `<a class="u-in-reply-to" href="${TARGET}">re</a>`],
    ['like', `<a class="u-like-of" href="${TARGET}">liked</a>`],
    ['repost', `<a class="u-repost-of" href="${TARGET}">reposted</a>`],
    ['mention', `<div class="e-content">See <a href="${TARGET}">this</a>.</div>`],
  ])('takes %s from the h-entry that points at the target', async (kind, inner) => {
    expect((await classifyMention(entry(`${author}${inner}`), SOURCE, TARGET)).kind).toBe(kind);
  });

  it('reads the h-card author (name, url, photo resolved) and the content as text', async () => {
    const facts = await classifyMention(
      entry(
        `${author}<a class="u-in-reply-to" href="${TARGET}#c"></a><div class="e-content">Nice <b>post</b> &lt;script&gt;</div>`,
      ),
      SOURCE,
      TARGET,
    );
    expect(facts).toEqual({
      kind: 'reply',
      authorName: 'Ada Lovelace',
      authorUrl: 'https://other.example/about',
      authorPhoto: 'https://other.example/me.jpg',
      content: 'Nice post <script>',
    });
  });

  it('keeps no text for a like, trims long content, drops control characters, and copes with no microformats', async () => {
    expect(
      (await classifyMention(entry(`<a class="u-like-of" href="${TARGET}"></a><p class="e-content">hi</p>`), SOURCE, TARGET))
        .content,
    ).toBeNull();
    const long = await classifyMention(
      entry(`<p class="e-content">${'word '.repeat(400)}\u0000</p><a href="${TARGET}">x</a>`),
      SOURCE,
      TARGET,
    );
    expect(long.content!.length).toBe(EXCERPT_MAX);
    expect(long.content!.endsWith('…')).toBe(true);
    expect(await classifyMention(`<p>plain <a href="${TARGET}">link</a></p>`, SOURCE, TARGET)).toEqual({
      kind: 'mention',
      authorName: null,
      authorUrl: null,
      authorPhoto: null,
      content: null,
    });
  });

  it('on a page of several entries, takes the one that links to the target', async () => {
    const other =
      '<article class="h-entry"><span class="p-author h-card">Someone else</span><p class="e-content">Unrelated.</p></article>';
    const mine = `<article class="h-entry">${author}<div class="e-content">About <a href="${TARGET}">this post</a>.</div></article>`;
    const facts = await classifyMention(`<div class="h-feed">${other}${mine}</div>`, SOURCE, TARGET);
    expect([facts.kind, facts.authorName, facts.content]).toEqual(['mention', 'Ada Lovelace', 'About this post.']);
  });

  it('never takes a javascript: URL as the author url', async () => {
    const facts = await classifyMention(entry(`<a class="p-author h-card" href="javascript:alert(1)">Eve</a>`), SOURCE, TARGET);
    expect(facts.authorName).toBe('Eve');
    expect(facts.authorUrl).toBeNull();
  });
});

describe('linksTo (verification) and linksOf (what a post mentions)', () => {
  it('finds a link by href or src, relative or absolute, fragment ignored', async () => {
    expect(await linksTo(`<a href="${TARGET}">x</a>`, SOURCE, TARGET)).toBe(true);
    expect(await linksTo('<a href="https://blog.example/posts/hello#comments">x</a>', SOURCE, TARGET)).toBe(true);
    expect(await linksTo('<img src="//blog.example/posts/hello">', SOURCE, TARGET)).toBe(true);
  });

  it('does not count text, comments, another path or a prefix of the URL', async () => {
    expect(await linksTo(`<p>${TARGET}</p><!-- <a href="${TARGET}"></a> -->`, SOURCE, TARGET)).toBe(false);
    expect(await linksTo('<a href="https://blog.example/posts/hello-world">x</a>', SOURCE, TARGET)).toBe(false);
    expect(await linksTo('<a href="https://blog.example/posts/">x</a>', SOURCE, TARGET)).toBe(false);
  });

  it('lists each http(s) link of a post once, resolved, without mailto: or fragments', async () => {
    const html =
      '<p><a href="https://a.example/x#y">1</a> <a href="https://a.example/x">2</a> <a href="/local">3</a> <a href="mailto:a@b">4</a></p>';
    expect(await linksOf(html, 'https://blog.example/posts/p')).toEqual(['https://a.example/x', 'https://blog.example/local']);
  });
});
