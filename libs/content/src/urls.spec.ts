import { featureImageId } from './social-card/card-source.js';
import { mediaIdOf, mediaIdOfSegment, mediaIdsIn, mediaUrl, relinkMedia, renditionUrl } from './urls.js';

describe('the media URL parser', () => {
  it('reads the id of a path of mediaUrl’s or renditionUrl’s shape, and nothing else', () => {
    expect(mediaIdOf(mediaUrl({ id: 7, filename: 'a b.png' }))).toBe(7);
    expect(mediaIdOf(renditionUrl({ id: 7, filename: 'harbour.png' }, { width: 720, format: 'avif' }))).toBe(7);
    expect(mediaIdOf('/media/1234567890/a.png')).toBe(1234567890);
    for (const other of [
      '/media/0/a.png', // ids as the media route takes them: no 0, no leading zero, at most 10 digits
      '/media/012/a.png',
      '/media/12345678901/a.png',
      '/media/12/', // a file name is part of the address
      '/media/12/a/b.png',
      '/media/12/a.png?w=1', // a site-relative path, without query or fragment
      '/media/12/a.png#x',
      'https://example.com/media/12/a.png',
      'x/media/12/a.png',
      '/Media/12/a.png',
    ]) {
      expect([other, mediaIdOf(other)]).toEqual([other, null]);
    }
  });

  it('reads the media route’s id segment by the same rule', () => {
    expect(mediaIdOfSegment('12')).toBe(12);
    expect(mediaIdOfSegment('1234567890')).toBe(1234567890);
    for (const other of ['0', '012', '12345678901', '1e3', ' 12', '12 ', '-1', ''])
      expect([other, mediaIdOfSegment(other)]).toEqual([other, null]);
  });

  it('finds every image a text links to, absolute or not, each once', () => {
    const text = '![a](/media/3/x.png) https://blog.example/media/4/y.png?w=1 ![b](/media/3/x-720w.avif) /media/05/q /media/6';
    expect(mediaIdsIn(text)).toEqual([3, 4]);
    expect(mediaIdsIn('no images')).toEqual([]);
  });

  it('relinks every image prefix a text has, leaving the ids it is not given', () => {
    const moved = new Map([
      [3, 30],
      [4, 40],
    ]);
    expect(
      relinkMedia('![](/media/3/x.png) ![](https://old.example/media/4/y.png?w=1) /media/5/z.png /media/03/q.png', (id) =>
        moved.get(id),
      ),
    ).toBe('![](/media/30/x.png) ![](https://old.example/media/40/y.png?w=1) /media/5/z.png /media/03/q.png');
  });

  it('names a post’s feature image: the first Markdown image of this blog it shows', () => {
    expect(featureImageId('Text ![x](https://else.example/a.png) and ![y]( /media/8/b.png) ![z](/media/9/c.png)')).toBe(8);
    expect(featureImageId('A link [x](/media/8/b.png) is no image.')).toBeNull();
    expect(featureImageId('![x](/media/08/b.png)')).toBeNull();
  });
});
