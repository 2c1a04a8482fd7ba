import { crc32 } from 'node:zlib';

/**
 * Whether an image file is complete, by the structure of its format. Cheap checks that catch
 * truncated uploads and a valid header glued to junk; decoding the pixels would need a native
 * image library for little more certainty.
 */
export function isCompleteImage(mime: string, data: Buffer): boolean {
  switch (mime) {
    case 'image/png':
      return isCompletePng(data);
    case 'image/jpeg':
      return data.length > 4 && data[data.length - 2] === 0xff && data[data.length - 1] === 0xd9;
    case 'image/gif':
      return data.length > 13 && data[data.length - 1] === 0x3b;
    case 'image/webp':
      return data.length >= 12 && data.readUInt32LE(4) + 8 === data.length;
    default:
      return false;
  }
}

/** Every chunk inside the file with a correct CRC, IHDR first, some IDAT, IEND last. */
function isCompletePng(data: Buffer): boolean {
  let offset = 8;
  let first = true;
  let sawData = false;
  while (offset + 12 <= data.length) {
    const length = data.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > data.length) return false;
    const type = data.toString('latin1', offset + 4, offset + 8);
    if (crc32(data.subarray(offset + 4, offset + 8 + length)) !== data.readUInt32BE(offset + 8 + length)) return false;
    if (first && type !== 'IHDR') return false;
    first = false;
    if (type === 'IDAT') sawData = true;
    if (type === 'IEND') return sawData && end === data.length;
    offset = end;
  }
  return false;
}
