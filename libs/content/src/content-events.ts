import { Injectable } from '@nestjs/common';

export type ContentChange = 'post' | 'page' | 'tag' | 'setting' | 'media' | 'webmention';
type Listener = (change: ContentChange) => void;

/**
 * Tells whoever caches derived state (settings, nav, rendered pages) that content changed.
 * In-process only: there is one instance, so this is coherent.
 */
@Injectable()
export class ContentEvents {
  private readonly listeners = new Set<Listener>();

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(change: ContentChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
