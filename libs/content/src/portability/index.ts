export { type ImportBundle, ImportError, type ImportFormat } from './bundle.js';
export { ExportService } from './exporter.js';
export { EXPORT_FORMAT, EXPORT_VERSION, type InkstoneExport, MAX_IMPORT_BYTES } from './format.js';
export { type ImportCounts, type ImportOptions, type ImportReport, ImportService } from './importer.js';
export { isMarkdownFile, sourceFile, type SourceFile } from './source-file.js';
export { readImport } from './read-import.lazy.js';
export { describeReport } from './report.js';
