import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An address of the blog whose content was deleted: it answers 410 Gone (not 404), which is how
 * Webmention receivers verify that a source was deleted (W3C Webmention 3.2.3). Written when a
 * post that readers could see, or that sent Webmentions, is deleted: its address and its old
 * slugs'. Only asked where the site would answer 404 (after the redirect table), so a post or
 * page that takes the address later wins. `path` is keyed by `oldPathKey` (redirects.ts).
 */
@Entity()
export class GonePath {
  @PrimaryKey({ type: 'string', length: 500 })
  path: string;

  @Property({ type: 'datetime' })
  goneAt: Date = new Date();

  constructor(path: string) {
    this.path = path;
  }
}
