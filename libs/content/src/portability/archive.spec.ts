import { expandArchives } from './archive.js';
import { zip } from '../../../../apps/blog/test/support/zip.js';

const zipFile = (path: string, entries: Parameters<typeof zip>[0]) => ({ path, text: '', bytes: zip(entries) });

describe('expandArchives', () => {
  it('replaces a zip by its files, under the zip’s folder, and leaves other files alone', async () => {
    const files = await expandArchives('site', [
      { path: 'export.xml', text: '<rss/>' },
      zipFile('beside/uploads.zip', [
        { name: 'uploads/2024/05/a.jpg', data: Buffer.from('jpeg bytes') },
        { name: '__MACOSX/uploads/._a.jpg', data: Buffer.from('x') },
        { name: 'notes.md', data: Buffer.from('# hi') },
      ]),
    ]);
    expect(files.map((f) => [f.path, f.text, f.bytes?.toString()])).toEqual([
      ['export.xml', '<rss/>', undefined],
      ['beside/uploads/2024/05/a.jpg', '', 'jpeg bytes'],
      ['beside/notes.md', '# hi', '# hi'],
    ]);
  });

  it('refuses a path that escapes the folder', async () => {
    await expect(
      expandArchives('site', [zipFile('up.zip', [{ name: '../../etc/evil.jpg', data: Buffer.from('x') }])]),
    ).rejects.toThrow(/^site, up\.zip: this zip cannot be read \(.*(\.\.|relative).*\)\.$/);
    await expect(
      expandArchives('site', [zipFile('up.zip', [{ name: '/etc/evil.jpg', data: Buffer.from('x') }])]),
    ).rejects.toThrow(/^site, up\.zip: this zip cannot be read/);
  });

  it('refuses a zip bomb by its ratio, its total size and its entry count, and a size that lies', async () => {
    const zeros = Buffer.alloc(20 * 1024 * 1024);
    await expect(expandArchives('site', [zipFile('bomb.zip', [{ name: 'zeros.jpg', data: zeros }])])).rejects.toThrow(
      'site, bomb.zip: zeros.jpg expands more than 100 times: refused as a zip bomb.',
    );
    const limits = { totalBytes: 1000, entries: 3, maxRatio: 100 };
    const big = Array.from({ length: 2 }, (_, i) => ({ name: `${i}.jpg`, data: Buffer.alloc(600, i) }));
    await expect(expandArchives('site', [zipFile('big.zip', big)], limits)).rejects.toThrow(
      'site, big.zip: unpacks to more than an import may hold',
    );
    const many = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.jpg`, data: Buffer.from('x') }));
    await expect(expandArchives('site', [zipFile('many.zip', many)], limits)).rejects.toThrow(
      'site, many.zip: holds 4 entries; an import may unpack 3.',
    );
    const liar = [{ name: 'small.jpg', data: Buffer.alloc(5000, 7), declaredSize: 100 }];
    await expect(expandArchives('site', [zipFile('liar.zip', liar)])).rejects.toThrow(/^site, liar\.zip: /);
  });

  it('refuses a file that is not a zip at all', async () => {
    await expect(expandArchives('site', [{ path: 'x.zip', text: '', bytes: Buffer.from('not a zip') }])).rejects.toThrow(
      /^site, x\.zip: this zip cannot be read/,
    );
  });
});
