import { gifCarriesMetadata } from './gif-metadata.js';

// A 1×1 GIF89a without a global colour table: header, screen, one image (LZW: clear, 0, end), trailer.
const header = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([1, 0, 1, 0, 0, 0, 0])]);
const image = Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]);
const looping = Buffer.concat([
  Buffer.from([0x21, 0xff, 11]),
  Buffer.from('NETSCAPE2.0', 'latin1'),
  Buffer.from([3, 1, 0, 0, 0]),
]);
const control = Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0]);
const gif = (...blocks: Buffer[]) => Buffer.concat([header, ...blocks, Buffer.from([0x3b])]);

describe('gifCarriesMetadata', () => {
  it('finds nothing in frames, their timing and the looping extension', () => {
    expect(gifCarriesMetadata(gif(looping, control, image, control, image))).toBe(false);
  });

  it('finds a comment, a plain-text block and an application extension other than looping (XMP)', () => {
    expect(gifCarriesMetadata(gif(Buffer.from([0x21, 0xfe, 3, 0x47, 0x50, 0x53, 0]), image))).toBe(true);
    expect(gifCarriesMetadata(gif(image, Buffer.from([0x21, 0x01, 1, 0x41, 0])))).toBe(true);
    const xmp = Buffer.concat([Buffer.from([0x21, 0xff, 11]), Buffer.from('XMP DataXMP', 'latin1'), Buffer.from([1, 0x3c, 0])]);
    expect(gifCarriesMetadata(gif(xmp, image))).toBe(true);
  });

  it('counts bytes after the trailer, a missing trailer and a cut-off file as metadata', () => {
    expect(gifCarriesMetadata(Buffer.concat([gif(image), Buffer.from('hidden')]))).toBe(true);
    expect(gifCarriesMetadata(Buffer.concat([header, image]))).toBe(true);
    expect(gifCarriesMetadata(gif(image).subarray(0, 20))).toBe(true);
  });
});
