import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { MAX_UPLOAD_BYTES } from '../media.service.js';
import { RESERVED_PAGE_SLUGS } from '../content-saver.js';
import { readImport as read } from './read-import.js';
import type { SourceFile } from './source-file.js';

const readImport = (source: string, files: SourceFile[]) =>
  read(source, files, { maxImageBytes: MAX_UPLOAD_BYTES, reservedPageSlugs: RESERVED_PAGE_SLUGS });
const FIXTURE = join(process.cwd(), 'apps/blog/test/fixtures/import/wordpress/wordpress.2024-06-01.xml');
const xml = (): SourceFile => ({ path: 'wordpress.2024-06-01.xml', text: readFileSync(FIXTURE, 'utf8') });
/** Bytes are never decoded by the reader (the importer does that): any bytes stand for an image. */
const upload = (path: string, content = path): SourceFile => ({ path, text: '', bytes: Buffer.from(content) });

describe('the WordPress reader', () => {
  const bundle = readImport('site', [
    xml(),
    upload('uploads/2024/05/harbour.jpg'),
    upload('uploads/2024/05/harbour-300x200.jpg'),
    upload('uploads/2024/05/lighthouse.png'),
    upload('uploads/2024/05/dunes.jpg'),
    upload('uploads/2024/05/tide-tables.pdf'),
  ]);
  const post = (slug: string) => bundle.posts.find((p) => p.slug === slug)!;

  it('reads posts, statuses and GMT dates; private and password-protected posts become drafts', () => {
    expect(bundle.format).toBe('wordpress');
    expect(bundle.posts.map((p) => [p.slug, p.status, p.publishedAt?.toISOString() ?? null])).toEqual([
      ['hello-from-wordpress', 'published', '2024-05-12T10:00:00.000Z'],
      ['classic-times', 'published', '2024-05-20T18:30:00.000Z'],
      ['next-spring-tide', 'published', '2099-01-01T08:00:00.000Z'],
      ['unfinished-thoughts', 'draft', null],
      ['waiting-for-review', 'draft', null],
      ['only-for-me', 'draft', null],
      ['members-only', 'draft', null],
    ]);
    expect(post('hello-from-wordpress').updatedAt?.toISOString()).toBe('2024-05-14T07:30:00.000Z');
    expect(post('hello-from-wordpress').tags).toEqual(['Coast & Harbours', 'Photos']);
    expect(post('classic-times').tags).toEqual(['Photos']); // Uncategorized is WordPress's placeholder
    expect(bundle.pages.map((p) => [p.slug, p.title])).toEqual([
      ['about', 'About'],
      ['team', 'Team'],
      ['page-search', 'Search'], // "search" is this blog's own address
    ]);
    expect(bundle.settings).toMatchObject({ title: 'Lighthouse Log', description: 'Notes from the coast', language: 'en-GB' });
  });

  it('turns blocks into Markdown: images from the uploads (originals), galleries, embeds, reusable blocks, links', () => {
    const md = post('hello-from-wordpress').markdown;
    const harbour = bundle.media.find((m) => m.ref === 'uploads/2024/05/harbour.jpg')!;
    const lighthouse = bundle.media.find((m) => m.ref === 'uploads/2024/05/lighthouse.png')!;
    const dunes = bundle.media.find((m) => m.ref === 'uploads/2024/05/dunes.jpg')!;
    // The resized copy is never imported: the original is.
    expect(bundle.media.map((m) => m.ref).sort()).toEqual([
      'uploads/2024/05/dunes.jpg',
      'uploads/2024/05/harbour.jpg',
      'uploads/2024/05/lighthouse.png',
    ]);
    expect(md.startsWith(`![Dunes at dawn](/media/${dunes.id}/dunes.jpg)\n\n`)).toBe(true); // the featured image
    expect(md).toContain('the **block editor**');
    expect(md).toContain('[the classic one](/posts/classic-times)');
    expect(md).toContain('[elsewhere](https://wordpress.org/)');
    expect(md).toContain('## The harbour');
    expect(md).toContain(`![Boats in the harbour](/media/${harbour.id}/harbour.jpg)`);
    expect(md).toContain('Morning light');
    expect(md).toContain(`![Harbour, full size](/media/${harbour.id}/harbour.jpg)`);
    expect(md).toContain(`![Lighthouse](/media/${lighthouse.id}/lighthouse.png)`);
    expect(md).toContain('[https://www.youtube.com/watch?v=dQw4w9WgXcQ](https://www.youtube.com/watch?v=dQw4w9WgXcQ)');
    expect(md).toMatch(/- +Ropes\n- +Buoys/);
    expect(md).toContain('```\ntide --when high\n```');
    expect(md).toContain('_Fair winds, Ada._');
    expect(md).toContain('[team](/team)');
    expect(md).toContain('[coast posts](/tags/coast-harbours)');
    expect(md).not.toMatch(/wp:|<!--|oldblog\.example/);
  });

  it('turns classic content into paragraphs, and its shortcodes into images and links', () => {
    const md = post('classic-times').markdown;
    const harbour = bundle.media.find((m) => m.ref === 'uploads/2024/05/harbour.jpg')!;
    expect(md).toMatch(/^Written in the classic editor, before blocks. {2}\nA second line/);
    expect(md).toContain(`[![The harbour](/media/${harbour.id}/harbour.jpg)](/media/${harbour.id}/harbour.jpg)`);
    expect(md).toContain('_The harbour at noon_');
    expect(md).toMatch(/!\[harbour\]\(\/media\/\d+\/harbour\.jpg\)\n\n!\[lighthouse\]/); // [gallery ids]
    expect(md).toContain('[https://vimeo.com/76979871](https://vimeo.com/76979871)');
    expect(md).toContain('[the first post](/posts/hello-from-wordpress)');
    // Not an image: left at its old address. An image that was not given: the same, and said.
    expect(md).toContain('[tide tables](https://oldblog.example/wp-content/uploads/2024/05/tide-tables.pdf)');
    expect(md).toContain('[lost image](https://oldblog.example/wp-content/uploads/2023/01/gone.jpg)');
    expect(md).not.toContain('contact-form');
    expect(md).toContain('```\nline one\n\nline three\n```');
  });

  it('keeps hand-written excerpts as summaries, as plain text; none: empty (the summary is derived)', () => {
    expect(bundle.posts.map((p) => [p.slug, p.summary]).filter(([, s]) => s)).toEqual([
      ['hello-from-wordpress', 'A hand-written summary.'],
    ]);
    expect(post('classic-times').summary).toBe('');
    const tagged = xml().text.replace('A hand-written summary.', 'Fish &amp; <em>chips</em> &#8217;n <script>x</script>');
    const read = readImport('site', [{ path: 'wp.xml', text: tagged }]);
    expect(read.posts[0].summary).toBe('Fish & chips \u2019n x');
  });

  it('maps the menu: pages keep their place, posts, categories, the home page and other sites become links; the rest is said', () => {
    expect(bundle.pages.map((p) => [p.slug, p.navOrder])).toEqual([
      ['about', 1],
      ['team', null], // under About in WordPress: this menu has one level
      ['page-search', 2],
    ]);
    expect(bundle.settings?.navLinks).toEqual([
      { label: 'Home', url: '/' },
      { label: 'Coast & Harbours', url: '/tags/coast-harbours' },
      { label: 'Start here', url: '/posts/hello-from-wordpress' },
      { label: 'GitHub', url: 'https://github.com/lighthouse-keeper' },
    ]);
    const w = bundle.warnings.filter((m) => m.includes('menu'));
    expect(w).toEqual([
      'site: menu "Main": its links now come after its pages (this blog\'s menu shows pages first).',
      'site: menu "Main": items left out: "Team" (a sub-menu item; this blog\'s menu has one level); ' +
        '"Top of page" (#top: not a link this blog\'s menu takes); ' +
        '"Old shop" (https://oldblog.example/shop/, an address of the old site with nothing here).',
      'site: menus left out: "Footer" (1 items); this blog has one menu, and "Main" was taken as it.',
    ]);
  });

  it('without a menu, pages stay out of it and the links in settings are left alone', () => {
    const text = xml().text.replace(
      /<wp:post_type><!\[CDATA\[nav_menu_item\]\]><\/wp:post_type>/g,
      '<wp:post_type><![CDATA[revision]]></wp:post_type>',
    );
    const read = readImport('site', [{ path: 'wp.xml', text }]);
    expect(read.pages.map((p) => p.navOrder)).toEqual([null, null, null]);
    expect(read.settings).not.toHaveProperty('navLinks');
  });

  it('says what it left out', () => {
    const w = bundle.warnings.join('\n');
    expect(w).toContain('site, post 24 (only-for-me): private in WordPress; imported as a draft.');
    expect(w).toContain('site, post 25 (members-only): password-protected in WordPress; imported as a draft.');
    expect(w).toContain('site, post 20 (classic-times): shortcodes with no meaning here left out: [contact-form-7].');
    expect(w).toContain('site: 2 comments left out (this blog has no comments): post 12 (hello-from-wordpress): 2.');
    expect(w).not.toContain('excerpt');
    expect(w).toContain('site: 1 posts with status "trash" left out.');
    expect(w).not.toContain('nav_menu_item');
    expect(w).toContain('posts by 2 authors (Ada Keeper, Guest Writer)');
    expect(w).toContain('1 images were not in the uploads given and stay at their old addresses: 2023/01/gone.jpg');
  });

  it('without the uploads, images stay where they were and the report says how to bring them', () => {
    const alone = readImport('wordpress.xml', [xml()]);
    expect(alone.media).toEqual([]);
    expect(alone.posts[0].markdown).toContain('(https://oldblog.example/wp-content/uploads/2024/05/harbour-300x200.jpg)');
    expect(alone.warnings.join('\n')).toMatch(
      /images stay at their old addresses \(\d+\); import again with the wp-content\/uploads folder/,
    );
  });

  it('refuses malformed XML and entity declarations, naming the file', () => {
    const broken = xml().text.replace('</channel>', '');
    expect(() => readImport('site', [{ path: 'wp.xml', text: broken }])).toThrow(
      /^site, wp\.xml: is not well-formed XML \(line \d+: /,
    );
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&b;</title></channel></rss>';
    expect(() => readImport('site', [{ path: 'wp.xml', text: laughs }])).toThrow(
      'site, wp.xml: declares a DOCTYPE or entities, which a WordPress export never does: refused.',
    );
  });
});
