/**
 * Cloud Run refuses HTTP/1 requests over 32 MiB before they reach the app (its own 413 page), so
 * an import uploaded through the admin must fit in one request of that size; the CLI
 * (`npm run import`, MAX_IMPORT_BYTES) reads files from disk and keeps the larger limit.
 */
export const CLOUD_RUN_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Room for the multipart framing: part headers (a folder of Markdown files names every path), fields. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
/** What the files of one web import may add up to. */
export const WEB_IMPORT_MAX_BYTES = CLOUD_RUN_MAX_REQUEST_BYTES - MULTIPART_OVERHEAD_BYTES;
export const WEB_IMPORT_MAX_MB = WEB_IMPORT_MAX_BYTES / 1024 / 1024;

export const webImportTooLarge = () =>
  `An import uploaded here may be at most ${WEB_IMPORT_MAX_MB} MB (Cloud Run refuses requests over 32 MB). ` +
  'Import a larger one from the command line: `npm run import -- FILE` on a copy pulled with `npm run db:pull` ' +
  '(see the README, "Backup & import").';
