import type { Metadata, Sharp, SharpConstructor, SharpOptions } from 'sharp';

import { gifCarriesMetadata } from './gif-metadata.js';
import type { RenditionFormat } from './media-keys.js';

/** The theme's column is 42rem (672 px): widths for phones, the column, and 2× screens. */
export const RENDITION_WIDTHS = [480, 720, 1080, 1440] as const;
export const RENDITION_FORMATS: readonly RenditionFormat[] = ['avif', 'webp'];
/** The `sizes` the renderer writes: the whole viewport on narrow screens, the column otherwise. */
export const RENDITION_SIZES = '(max-width: 42rem) 100vw, 42rem';
/**
 * 40 megapixels (a 7,700 × 5,200 photo): a PNG can declare 50,000 × 50,000 in a few kilobytes, and
 * decoding it would take 10 GB. Checked from the header, before any pixel is decoded.
 */
export const MAX_PIXELS = 40_000_000;

export class ImageRejectedError extends Error {}

/**
 * The widths made for an image `width` pixels wide: each standard width below it, and its own
 * width when that is within the largest (so a 2× screen never gets less than the original has).
 */
export function renditionWidths(width: number): number[] {
  const largest = RENDITION_WIDTHS[RENDITION_WIDTHS.length - 1];
  return [...RENDITION_WIDTHS.filter((w) => w < width), ...(width <= largest ? [width] : [])];
}

export interface Rendition {
  width: number;
  height: number;
  format: RenditionFormat;
  data: Buffer;
}

export interface PreparedImage {
  /** What readers get at the original's URL: the upload itself when it is clean, else a clean re-encode. */
  original: Buffer;
  /** Whether `original` is the upload's own bytes. */
  untouched: boolean;
  width: number;
  height: number;
  animated: boolean;
  renditions: Rendition[];
}

let loading: Promise<SharpConstructor> | undefined;

/** sharp loads on the first upload only (it is ~30 MB of native code no reader page needs). */
async function sharpModule(): Promise<SharpConstructor> {
  loading ??= import('sharp').then((m) => {
    const sharp = m.default;
    // Cloud Run: one upload at a time on a small instance; libvips' operation cache would hold
    // decoded images after the request.
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return loading;
}

const DAMAGED = 'The image could not be read; it may be damaged or cut short.';

/**
 * Checks an upload by decoding it, and makes what readers get: the original without location or
 * other metadata (orientation applied), and resized WebP and AVIF renditions. Runs while the
 * upload request holds the CPU (Cloud Run gives none after the response).
 */
export async function prepareImage(upload: Buffer, mime: string): Promise<PreparedImage> {
  const sharp = await sharpModule();
  // failOn 'warning': a cut-off or corrupt JPEG is refused, not stored with a grey bottom half
  // ('truncated' lets a file through whose end marker was glued back on).
  const options: SharpOptions = { failOn: 'warning', limitInputPixels: MAX_PIXELS, sequentialRead: true };
  const open = (extra: SharpOptions = {}): Sharp => sharp(upload, { ...options, ...extra });
  let meta: Metadata;
  try {
    // The header only (no pixel limit yet), so that a bomb gets its own message below.
    meta = await open({ limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRejectedError(DAMAGED);
  }
  const { width: rawWidth, height: rawHeight } = meta;
  if (!rawWidth || !rawHeight) throw new ImageRejectedError(DAMAGED);
  if (rawWidth * rawHeight > MAX_PIXELS) {
    throw new ImageRejectedError(
      `This image is ${rawWidth.toLocaleString('en')} × ${rawHeight.toLocaleString('en')} pixels; images may have at most ${MAX_PIXELS / 1_000_000} megapixels.`,
    );
  }
  const animated = (meta.pages ?? 1) > 1;
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? rawHeight : rawWidth;
  const height = rotated ? rawWidth : rawHeight;

  try {
    if (animated) {
      // No renditions: an AVIF would lose the animation. A clean upload is kept as it is (decoding
      // every frame proves it whole); one carrying metadata (EXIF with GPS, XMP, comments) gets
      // its frames re-encoded in its own format, delays and looping kept.
      if (isClean(upload, meta) && !(mime === 'image/gif' && gifCarriesMetadata(upload))) {
        await open({ animated: true }).raw().toBuffer();
        return { original: upload, untouched: true, width, height, animated, renditions: [] };
      }
      const original = await reencodeAnimated(open({ animated: true }), mime, meta);
      return { original, untouched: false, width, height, animated, renditions: [] };
    }
    const untouched = isClean(upload, meta);
    const original = untouched ? upload : await reencode(open(), mime, meta);
    const renditions: Rendition[] = [];
    for (const target of renditionWidths(width)) {
      for (const format of RENDITION_FORMATS) {
        const pipeline = open().rotate().toColourspace('srgb').resize({ width: target });
        const out = await (
          format === 'avif' ? pipeline.avif({ quality: 50, effort: 1 }) : pipeline.webp({ quality: 75 })
        ).toBuffer({
          resolveWithObject: true,
        });
        renditions.push({ width: out.info.width, height: out.info.height, format, data: out.data });
      }
    }
    return { original, untouched, width, height, animated, renditions };
  } catch (err) {
    if (err instanceof ImageRejectedError) throw err;
    throw new ImageRejectedError(DAMAGED);
  }
}

/**
 * An upload is served as is only when it carries nothing a reader should not get: no EXIF (GPS
 * position, camera serial), XMP, IPTC or text comments, no rotation to apply, not CMYK (browsers
 * disagree on it), and no bulk beyond its pixels (private chunks, padding).
 */
function isClean(upload: Buffer, meta: Metadata): boolean {
  const pixelsBytes = (meta.width ?? 0) * (meta.height ?? 0) * (meta.channels ?? 4) * (meta.pages ?? 1);
  return (
    !meta.exif &&
    !meta.xmp &&
    !meta.iptc &&
    !meta.comments?.length &&
    (meta.orientation ?? 1) === 1 &&
    meta.space !== 'cmyk' &&
    upload.length <= 2 * pixelsBytes + 16 * 1024
  );
}

/** Same format, pixels only: orientation applied, sRGB, every metadata block dropped. */
async function reencode(image: Sharp, mime: string, meta: Metadata): Promise<Buffer> {
  const clean = image.rotate().toColourspace('srgb');
  switch (mime) {
    case 'image/jpeg':
      return clean.jpeg({ quality: 90, chromaSubsampling: meta.chromaSubsampling === '4:4:4' ? '4:4:4' : '4:2:0' }).toBuffer();
    case 'image/png':
      return clean.png().toBuffer();
    case 'image/webp':
      return clean.webp({ quality: 90 }).toBuffer();
    default:
      return clean.gif().toBuffer();
  }
}

/**
 * Every frame, same format, no metadata block (sharp writes none unless asked): the frame delays
 * and the loop count carried over from the upload. WebP at the quality of the still re-encode.
 */
async function reencodeAnimated(frames: Sharp, mime: string, meta: Metadata): Promise<Buffer> {
  const timing = { ...(meta.delay ? { delay: meta.delay } : {}), ...(meta.loop !== undefined ? { loop: meta.loop } : {}) };
  return mime === 'image/webp' ? frames.webp({ quality: 90, ...timing }).toBuffer() : frames.gif(timing).toBuffer();
}

/**
 * An image cropped to fill `width` × `height` (centre), as a JPEG: the feature image a social card
 * embeds (satori takes PNG and JPEG, not WebP or AVIF; a small JPEG keeps the card's SVG small).
 */
export async function coverJpeg(data: Buffer, width: number, height: number): Promise<Buffer> {
  const sharp = await sharpModule();
  return sharp(data, { limitInputPixels: MAX_PIXELS, animated: false })
    .rotate()
    .resize(width, height, { fit: 'cover' })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 82 })
    .toBuffer();
}
