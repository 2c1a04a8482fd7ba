import yauzl from 'yauzl';

import { ImportError } from './bundle.js';
import { MAX_IMPORT_BYTES } from './format.js';
import { sourceFile, type SourceFile } from './source-file.js';

/** Bounds on what one zip may expand to: an archive is someone else's file. */
export const ZIP_LIMITS = {
  /** What all of an import's archives may expand to, together: the same bound as an import file. */
  totalBytes: MAX_IMPORT_BYTES,
  entries: 20_000,
  /** Deflate compresses real files (text, photos) far less than 100:1; a bomb, a thousand times more. */
  maxRatio: 100,
};

const isZip = (f: SourceFile) => /\.zip$/i.test(f.path) || f.bytes?.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004';

/**
 * Every .zip among the files replaced by the files inside it (paths under the zip's own folder,
 * so `uploads.zip` beside `export.xml` gives `uploads/2024/05/a.jpg` or whatever the zip holds).
 * Read with yauzl, which refuses absolute and `..` paths and checks each entry's real size against
 * its header; on top of that, entries, total size and compression ratio are bounded, before and
 * while inflating, so a zip bomb is refused without being expanded.
 */
export async function expandArchives(source: string, files: SourceFile[], limits = ZIP_LIMITS): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  let total = 0;
  for (const file of files) {
    if (!file.bytes || !isZip(file)) {
      out.push(file);
      continue;
    }
    const refuse = (detail: string): never => {
      throw new ImportError(source, file.path, detail);
    };
    const folder = file.path.includes('/') ? file.path.slice(0, file.path.lastIndexOf('/') + 1) : '';
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromBufferPromise(file.bytes, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
    } catch (err) {
      return refuse(`this zip cannot be read (${(err as Error).message}).`);
    }
    try {
      if (zip.entryCount > limits.entries) refuse(`holds ${zip.entryCount} entries; an import may unpack ${limits.entries}.`);
      for await (const entry of zip.eachEntry()) {
        if (entry.fileName.endsWith('/') || /(^|\/)(__MACOSX|\.DS_Store)(\/|$)/.test(entry.fileName)) continue;
        if (entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1024))
          refuse(`${entry.fileName} expands more than ${limits.maxRatio} times: refused as a zip bomb.`);
        total += entry.uncompressedSize;
        if (total > limits.totalBytes) refuse(`unpacks to more than an import may hold (${limits.totalBytes / 1024 / 1024} MB).`);
        const chunks: Buffer[] = [];
        let size = 0;
        // yauzl stops a stream that goes past its declared size; this bound holds even if it did not.
        for await (const chunk of await zip.openReadStreamPromise(entry)) {
          size += (chunk as Buffer).length;
          if (size > entry.uncompressedSize) refuse(`${entry.fileName} is larger than its header says.`);
          chunks.push(chunk as Buffer);
        }
        out.push(sourceFile(folder + entry.fileName, Buffer.concat(chunks)));
      }
    } catch (err) {
      if (err instanceof ImportError) throw err;
      refuse(`this zip cannot be read (${(err as Error).message}).`);
    } finally {
      zip.close();
    }
  }
  return out;
}
