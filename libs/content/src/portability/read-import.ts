export { expandArchives } from './archive.js';
import { ImportError, type ImportBundle, NO_RULES, type ReaderRules } from './bundle.js';
import { isGhostExport, readGhostExport } from './ghost-source.js';
import { isInkstoneExport, readInkstoneExport } from './inkstone-source.js';
import { readMarkdownFolder } from './markdown-source.js';
import { isMarkdownFile, type SourceFile } from './source-file.js';
import { isWordPressExport, readWordPressExport } from './wordpress-source.js';

/** At the top of what was given (or in its one folder): where an export file sits, not a theme's data file. */
const nearTop = (f: SourceFile) => f.path.split('/').length <= 2;

/**
 * Recognises what was given: a WordPress export (WXR) or one JSON file (our export or Ghost's),
 * each with the files beside it (the old blog's images, zips already unpacked), or a set of
 * Markdown files (a folder). `source` is the name shown in messages.
 */
export function readImport(source: string, files: SourceFile[], rules: ReaderRules = NO_RULES): ImportBundle {
  if (files.length === 0) throw new ImportError(source, null, 'nothing to import: no file was given.');
  const single = files.length === 1 && !isMarkdownFile(files[0].path);
  const wxr = files.filter((f) => (single || (/\.xml$/i.test(f.path) && nearTop(f))) && isWordPressExport(f.text));
  if (wxr.length > 1)
    throw new ImportError(
      source,
      null,
      `holds ${wxr.length} WordPress exports (${wxr.map((f) => f.path).join(', ')}); import one at a time.`,
    );
  const others = (doc: SourceFile) => files.filter((f) => f !== doc);
  if (wxr.length === 1) return readWordPressExport(wxr[0], others(wxr[0]), source, rules);
  if (single) return readJson(source, files[0].text, [], rules);
  const json = files.filter((f) => /\.json$/i.test(f.path) && nearTop(f));
  if (json.length === 1 && !files.some((f) => isMarkdownFile(f.path)))
    return readJson(source, json[0].text, others(json[0]), rules);
  return readMarkdownFolder(files, source, rules);
}

function readJson(source: string, text: string, assets: SourceFile[], rules: ReaderRules): ImportBundle {
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
  if (isGhostExport(doc)) return readGhostExport(doc, source, assets, rules);
  throw new ImportError(
    source,
    null,
    'this JSON is neither an Inkstone export ("format": "inkstone") nor a Ghost export (db[0].data.posts).',
  );
}
