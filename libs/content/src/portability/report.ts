import type { ImportCounts, ImportReport } from './importer.js';

const FORMAT_NAMES = {
  inkstone: 'an Inkstone export',
  ghost: 'a Ghost export',
  markdown: 'a folder of Markdown files',
  wordpress: 'a WordPress export',
} as const;

const line = (c: ImportCounts) => `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;

/** The report as plain lines: printed by the CLI, shown by the admin page. */
export function describeReport(report: ImportReport): { heading: string; lines: string[] } {
  return {
    heading: report.dryRun
      ? `Dry run of ${report.source} (${FORMAT_NAMES[report.format]}): nothing was written. A real import would do this:`
      : `Imported ${report.source} (${FORMAT_NAMES[report.format]}):`,
    lines: [
      `posts: ${line(report.posts)}`,
      `pages: ${line(report.pages)}`,
      `tags: ${line(report.tags)}`,
      `images: ${line(report.media)}`,
      `settings: ${report.settings}`,
      `old addresses (301 to the new ones): ${line(report.redirects)}`,
    ],
  };
}
