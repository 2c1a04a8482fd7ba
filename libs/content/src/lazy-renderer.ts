import type { RenderedBody } from './entities/index.js';
import type { ImageLookup } from './markdown/images.js';

type RendererModule = typeof import('./markdown/markdown.renderer.js');
let loading: Promise<RendererModule> | undefined;

/**
 * markdown-it and highlight.js are only needed when the author saves, so readers' cold starts
 * never load them.
 */
export async function renderMarkdown(markdown: string, images?: ImageLookup): Promise<RenderedBody> {
  loading ??= import('./markdown/markdown.renderer.js');
  return (await loading).renderMarkdown(markdown, images);
}
