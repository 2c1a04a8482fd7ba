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

/** A two-frame animated GIF. */
export async function animatedGif(width: number, height: number): Promise<Buffer> {
  const frame = (colour: string) =>
    sharp({ create: { width, height, channels: 3, background: colour } })
      .png()
      .toBuffer();
  return sharp([await frame('#c33'), await frame('#33c')], { join: { animated: true } })
    .gif({ delay: [200, 200], loop: 0 })
    .toBuffer();
}

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
