import { ImportError, type ImportBundle } from './bundle.js';
import { isGhostExport, readGhostExport } from './ghost-source.js';
import { isInkstoneExport, readInkstoneExport } from './inkstone-source.js';
import { readMarkdownFolder } from './markdown-source.js';
import { isMarkdownFile, type SourceFile } from './source-file.js';

/**
 * Recognises what was given: one JSON file (our export or Ghost's) or a set of Markdown files
 * (a folder). `source` is the name shown in messages.
 */
export function readImport(source: string, files: SourceFile[]): ImportBundle {
  if (files.length === 0) throw new ImportError(source, null, 'nothing to import: no file was given.');
  if (files.length === 1 && !isMarkdownFile(files[0].path)) return readJson(source, files[0].text);
  return readMarkdownFolder(files, source);
}

function readJson(source: string, text: string): ImportBundle {
  if (text.startsWith('PK\u0003\u0004')) {
    throw new ImportError(source, null, 'this is a .zip archive; unzip it and import the folder (or the JSON file inside).');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportError(source, null, `this is not valid JSON (${(err as Error).message}).`);
  }
  if (isInkstoneExport(doc)) return readInkstoneExport(doc, source);
  if (isGhostExport(doc)) return readGhostExport(doc, source);
  throw new ImportError(
    source,
    null,
    'this JSON is neither an Inkstone export ("format": "inkstone") nor a Ghost export (db[0].data.posts).',
  );
}
