import sharp from 'sharp';

/**
 * Photo-like JPEGs made with sharp (no binary fixtures): blurred noise over a colour, so that the
 * encoders meet something between a flat test card and white noise. `seed` changes the colour.
 */
export async function photo(
  width: number,
  height: number,
  seed: number,
  options: { gps?: boolean; orientation?: number; cmyk?: boolean; quality?: number } = {},
): Promise<Buffer> {
  const background = { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 31) % 256 };
  const base = await sharp({ create: { width, height, channels: 3, background } })
    .composite([
      {
        input: {
          create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
        },
        blend: 'overlay',
      },
    ])
    .blur(1.5)
    .png({ compressionLevel: 0 })
    .toBuffer();
  let image = sharp(base);
  if (options.cmyk) image = image.toColourspace('cmyk');
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  if (options.gps) {
    image = image.withExifMerge({
      IFD0: { Make: 'Inkstone test camera', Model: 'GPS-1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' },
    });
  }
  return image.jpeg({ quality: options.quality ?? 85 }).toBuffer();
}

const frames = (width: number, height: number, colours: string[]) =>
  Promise.all(
    colours.map((background) =>
      sharp({ create: { width, height, channels: 3, background } })
        .png()
        .toBuffer(),
    ),
  );

/** A two-frame animated GIF. */
export async function animatedGif(width: number, height: number): Promise<Buffer> {
  return sharp(await frames(width, height, ['#c33', '#33c']), { join: { animated: true } })
    .gif({ delay: [200, 200], loop: 0 })
    .toBuffer();
}

/** Frame delays (ms) and loop count of the animated fixtures below. */
export const ANIMATION = { delay: [100, 250, 400], loop: 3 };

/**
 * A three-frame animated GIF with a comment extension of `commentBytes` (GIF's metadata block;
 * sharp writes none, so it is spliced in after the global colour table).
 */
export async function animatedGifWithComment(width: number, height: number, commentBytes: number): Promise<Buffer> {
  const gif = await sharp(await frames(width, height, ['#c33', '#33c', '#3c3']), { join: { animated: true } })
    .gif(ANIMATION)
    .toBuffer();
  const flags = gif[10];
  const at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  const text = Buffer.alloc(commentBytes, 'Lat 48.8566 N, Lon 2.3522 E; ');
  const blocks: Buffer[] = [];
  for (let i = 0; i < text.length; i += 255) {
    const part = text.subarray(i, i + 255);
    blocks.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat([gif.subarray(0, at), Buffer.from([0x21, 0xfe]), ...blocks, Buffer.from([0]), gif.subarray(at)]);
}

/** A three-frame animated WebP carrying EXIF with a camera and a GPS position. */
export async function animatedWebpWithGps(width: number, height: number): Promise<Buffer> {
  return sharp(await frames(width, height, ['#c33', '#33c', '#3c3']), { join: { animated: true } })
    .withExifMerge({
      IFD0: { Make: 'Inkstone test camera', Model: 'GPS-1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' },
    })
    .webp({ ...ANIMATION, lossless: true })
    .toBuffer();
}

/** Whether an EXIF block holds a GPS section (its pointer tag 0x8825, either byte order). */
export const exifHasGps = (exif: Buffer | undefined) =>
  !!exif && (exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88])));

/** Every frame's pixels, decoded. */
export const framePixels = (data: Buffer) => sharp(data, { animated: true }).raw().toBuffer();

export const metadataOf = (data: Buffer) => sharp(data).metadata();

/**
 * A PNG of white noise, stored without compression: width × height × 3 bytes and more, which the
 * pipeline keeps byte for byte (nothing but pixels). For objects above the hot-image cache's 2 MB.
 */
export function noisePng(width: number, height: number, seed: number): Promise<Buffer> {
  const background = { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 31) % 256 };
  return sharp({ create: { width, height, channels: 3, background, noise: { type: 'gaussian', mean: 128, sigma: 70 } } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}
