import { crc32, deflateSync } from 'node:zlib';

/**
 * Real, decodable images built from scratch (no binary fixtures). Each takes a `shade` so that
 * tests can make images with different bytes (the media library deduplicates by SHA-256).
 */

const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u16be = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u16le = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  return Buffer.concat([u32be(data.length), typeAndData, u32be(crc32(typeAndData))]);
}

/** The IHDR chunk of an 8-bit truecolour image. */
export function pngIhdr(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  // compression 0, filter 0, interlace 0
  return pngChunk('IHDR', ihdr);
}

/** A valid RGB PNG of one colour: signature, IHDR, IDAT (zlib), IEND. */
export function png(width: number, height: number, shade = 0): Buffer {
  const row = Buffer.alloc(1 + 3 * width); // filter byte 0, then RGB triples
  for (let x = 0; x < width; x++) row.set([shade & 0xff, (shade >> 8) & 0xff, 0x80], 1 + 3 * x);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    PNG_SIGNATURE,
    pngIhdr(width, height),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A GIF89a of one colour. The LZW stream is "clear, pixel" pairs, so the code size stays at 3 bits:
 * valid (every decoder accepts it) without implementing a compressor.
 */
export function gif(width: number, height: number, shade = 0): Buffer {
  const minCodeSize = 2;
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const codes: number[] = [];
  for (let i = 0; i < width * height; i++) codes.push(clear, 0);
  codes.push(end);
  const packed: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const code of codes) {
    acc |= code << bits;
    bits += 3;
    while (bits >= 8) {
      packed.push(acc & 0xff);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) packed.push(acc & 0xff);
  const blocks: Buffer[] = [];
  for (let i = 0; i < packed.length; i += 255) {
    const part = packed.slice(i, i + 255);
    blocks.push(Buffer.from([part.length, ...part]));
  }
  return Buffer.concat([
    Buffer.from('GIF89a', 'ascii'),
    u16le(width),
    u16le(height),
    Buffer.from([0x80, 0, 0]), // global colour table of 2 entries
    Buffer.from([shade & 0xff, (shade >> 8) & 0xff, 0x40, 0xff, 0xff, 0xff]),
    Buffer.from([0x2c]), // image descriptor
    u16le(0),
    u16le(0),
    u16le(width),
    u16le(height),
    Buffer.from([0]),
    Buffer.from([minCodeSize]),
    ...blocks,
    Buffer.from([0]), // end of image data
    Buffer.from([0x3b]), // trailer
  ]);
}

/**
 * A baseline greyscale JPEG. Both Huffman tables hold one 1-bit code (DC "no difference", AC
 * "end of block"), so every 8×8 block is the two bits 00: a flat image that libjpeg decodes.
 */
export function jpeg(width: number, height: number, quant = 1): Buffer {
  const segment = (marker: number, body: Buffer) => Buffer.concat([Buffer.from([0xff, marker]), u16be(body.length + 2), body]);
  const oneCodeTable = (tableClass: number) =>
    segment(
      0xc4,
      Buffer.concat([Buffer.from([tableClass << 4]), Buffer.from([1, ...new Array<number>(15).fill(0)]), Buffer.from([0])]),
    );
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bitCount = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bitCount / 8), 0);
  const padding = scan.length * 8 - bitCount; // pad the last byte with 1s, as the standard asks
  if (padding > 0) scan[scan.length - 1] = (1 << padding) - 1;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, quant & 0xff || 1)])),
    segment(0xc0, Buffer.concat([Buffer.from([8]), u16be(height), u16be(width), Buffer.from([1, 1, 0x11, 0])])),
    oneCodeTable(0),
    oneCodeTable(1),
    segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A lossless (VP8L) WebP of one colour: every prefix code has a single symbol, so pixels take no bits. */
export function webp(width: number, height: number, shade = 0): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  const write = (value: number, n: number) => {
    for (let i = 0; i < n; i++) {
      acc |= ((value >> i) & 1) << bits;
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  };
  write(0x2f, 8); // VP8L signature
  write(width - 1, 14);
  write(height - 1, 14);
  write(0, 1); // alpha is not used
  write(0, 3); // version
  write(0, 1); // no transform
  write(0, 1); // no colour cache
  write(0, 1); // no meta prefix codes
  const single = (symbol: number) => {
    write(1, 1); // simple code
    write(0, 1); // one symbol
    write(1, 1); // 8-bit symbol
    write(symbol, 8);
  };
  single((shade >> 8) & 0xff); // green
  single(shade & 0xff); // red
  single(0x40); // blue
  single(0xff); // alpha
  single(0); // distance
  if (bits > 0) out.push(acc);
  const data = Buffer.from(out);
  const chunk = Buffer.concat([
    Buffer.from('VP8L', 'ascii'),
    u32le(data.length),
    data,
    data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0),
  ]);
  return Buffer.concat([Buffer.from('RIFF', 'ascii'), u32le(4 + chunk.length), Buffer.from('WEBP', 'ascii'), chunk]);
}

/**
 * A valid PNG of exactly `bytes` bytes: a 1×1 image padded with an ancillary (private, safe to
 * ignore) chunk, for testing the upload size limit at its edge.
 */
export function pngOfSize(bytes: number, shade = 0): Buffer {
  const image = png(1, 1, shade);
  const ihdrEnd = PNG_SIGNATURE.length + 25;
  const fillerData = bytes - image.length - 12;
  if (fillerData < 0) throw new Error(`A PNG cannot be as small as ${bytes} bytes`);
  const filler = pngChunk('fiLl', Buffer.alloc(fillerData, 0x2a));
  const out = Buffer.concat([image.subarray(0, ihdrEnd), filler, image.subarray(ihdrEnd)]);
  if (out.length !== bytes) throw new Error('pngOfSize miscounted');
  return out;
}
