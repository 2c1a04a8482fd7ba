import { createRequire } from 'node:module';

import TurndownService from 'turndown';

// Why require: the plugin ships CommonJS only, without types.
const { gfm } = createRequire(import.meta.url)('@joplin/turndown-plugin-gfm') as {
  gfm: TurndownService.Plugin;
};

let service: TurndownService | undefined;

/**
 * HTML from another engine as Markdown (GFM tables, strikethrough, task lists). What Markdown
 * cannot say (embeds, custom markup) stays as raw HTML and then meets the same sanitizer as
 * anything the author types: nothing here is trusted.
 */
export function htmlToMarkdown(html: string): string {
  service ??= new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '_' })
    .use(gfm)
    .keep(['iframe', 'video', 'audio'])
    .remove(['script', 'style', 'noscript']);
  return service.turndown(html).trim();
}
