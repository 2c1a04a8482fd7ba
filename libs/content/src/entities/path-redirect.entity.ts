import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An old address of the blog that answers 301 to a new one: an imported blog's permalinks
 * (`/2024/05/12/hello/`, `/?p=12`, `/category/x/`, `/feed/`). Only asked when no route answers
 * the path (before the 404), so it never shadows a page or a post. `fromPath` is normalized by
 * `oldPathKey` (redirects.ts).
 */
@Entity()
export class PathRedirect {
  @PrimaryKey({ type: 'string', length: 500 })
  fromPath: string;

  @Property({ type: 'string', length: 500 })
  toPath: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fromPath: string, toPath: string) {
    this.fromPath = fromPath;
    this.toPath = toPath;
  }
}
