import type { ImageFacts } from './images.js';
import { renderMarkdown } from './markdown.renderer.js';

const photo: ImageFacts = {
  id: 7,
  filename: 'harbour.jpg',
  width: 2400,
  height: 1600,
  renditions: [720, 480].flatMap((width) =>
    (['webp', 'avif'] as const).map((format) => ({ width, height: (width * 2) / 3, format, size: 1000 })),
  ),
};
const images = new Map([[7, photo]]);

describe('images of this blog in Markdown', () => {
  it('become a <picture> with AVIF and WebP sources by width, the original as a sized, async <img>', () => {
    const { html } = renderMarkdown('![The "harbour" <at> dawn](/media/7/harbour.jpg)', images);
    expect(html).toBe(
      '<p><picture>' +
        '<source type="image/avif" srcset="/media/7/harbour-480w.avif 480w, /media/7/harbour-720w.avif 720w" sizes="(max-width: 42rem) 100vw, 42rem" />' +
        '<source type="image/webp" srcset="/media/7/harbour-480w.webp 480w, /media/7/harbour-720w.webp 720w" sizes="(max-width: 42rem) 100vw, 42rem" />' +
        '<img src="/media/7/harbour.jpg" alt="The &quot;harbour&quot; &lt;at&gt; dawn" width="2400" height="1600" loading="eager" decoding="async" />' +
        '</picture></p>\n',
    );
  });

  it('loads the first image at once and every later one lazily', () => {
    const { html } = renderMarkdown(
      '![a](/media/7/harbour.jpg)\n\ntext\n\n![b](/media/7/harbour.jpg)\n\n![c](https://example.com/x.png)',
      images,
    );
    expect(html.match(/loading="(\w+)"/g)).toEqual(['loading="eager"', 'loading="lazy"', 'loading="lazy"']);
    expect(html).toContain('<img src="https://example.com/x.png" alt="c" loading="lazy" decoding="async" />');
  });

  it('leaves an unknown /media/ id and an image without renditions as a plain <img>', () => {
    expect(renderMarkdown('![x](/media/8/gone.png)', images).html).toBe(
      '<p><img src="/media/8/gone.png" alt="x" loading="lazy" decoding="async" /></p>\n',
    );
    const gif = new Map([[9, { id: 9, filename: 'anim.gif', width: 10, height: 5, renditions: [] }]]);
    expect(renderMarkdown('![x](/media/9/anim.gif)', gif).html).toBe(
      '<p><img src="/media/9/anim.gif" alt="x" width="10" height="5" loading="eager" decoding="async" /></p>\n',
    );
  });

  it('keeps a srcset with a script URL out (the sanitizer checks each candidate)', () => {
    const { html } = renderMarkdown('<img src="/a.png" srcset="javascript:alert(1) 1x">');
    expect(html).not.toContain('javascript');
  });
});
