/** Application extensions that only say how to loop an animation: nothing about the author or the camera. */
const LOOPING = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0']);

/**
 * Whether a GIF carries more than its frames: comment or plain-text extensions, application
 * extensions other than looping (XMP, ICC profiles, an editor's private data), or bytes after its
 * trailer. sharp's metadata shows none of these for a GIF, so the blocks are walked here. A file
 * this walk cannot follow counts as carrying metadata (it is then re-encoded, which decodes it).
 */
export function gifCarriesMetadata(data: Buffer): boolean {
  if (data.length < 13) return true;
  const globalTable = data[10] & 0x80 ? 3 * 2 ** ((data[10] & 0x07) + 1) : 0;
  let at = 13 + globalTable;
  /** Skips data sub-blocks (length byte, bytes; a zero length ends them); -1 if they run off the end. */
  const skipSubBlocks = (from: number): number => {
    let p = from;
    while (p < data.length && data[p] !== 0) p += data[p] + 1;
    return p < data.length ? p + 1 : -1;
  };
  while (at < data.length) {
    const introducer = data[at];
    if (introducer === 0x3b) return at !== data.length - 1; // the trailer: nothing may follow it
    if (introducer === 0x2c) {
      // An image: descriptor (10 bytes), its own colour table, LZW code size, then the pixels.
      if (at + 10 > data.length) return true;
      const localTable = data[at + 9] & 0x80 ? 3 * 2 ** ((data[at + 9] & 0x07) + 1) : 0;
      at = skipSubBlocks(at + 10 + localTable + 1);
    } else if (introducer === 0x21) {
      const label = data[at + 1];
      if (label === 0xf9)
        at = skipSubBlocks(at + 2); // graphic control: a frame's delay and disposal
      else if (label === 0xff) {
        const size = data[at + 2];
        const application = data.toString('latin1', at + 3, at + 3 + size);
        if (!LOOPING.has(application)) return true;
        at = skipSubBlocks(at + 3 + size);
      } else return true; // comment (0xfe), plain text (0x01) or unknown
    } else return true;
    if (at < 0) return true;
  }
  return true; // no trailer
}
