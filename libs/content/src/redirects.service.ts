import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';

import { GonePath, PathRedirect } from './entities/index.js';
import { ContentValidationError } from './errors.js';
import { isLocalTarget, oldPathKey } from './redirects.js';

/**
 * The redirect table: old addresses that answer 301 to new ones, and those of deleted posts, which
 * answer 410 Gone; both read before the site's 404.
 */
@Injectable()
export class RedirectsService {
  constructor(private readonly em: EntityManager) {}

  /** Where an address that no route answered now lives, if it is an old address. */
  async find(address: string): Promise<string | null> {
    const key = oldPathKey(address);
    if (!key) return null;
    const row = await this.em.fork().findOne(PathRedirect, { fromPath: key }, { fields: ['toPath'] });
    return row?.toPath ?? null;
  }

  /** Whether an address that no route answered is that of deleted content (410 Gone). */
  async isGone(address: string): Promise<boolean> {
    const key = oldPathKey(address);
    return key !== null && (await this.em.fork().count(GonePath, { path: key })) > 0;
  }

  list(): Promise<PathRedirect[]> {
    return this.em.fork().find(PathRedirect, {}, { orderBy: { fromPath: 'asc' } });
  }

  /** Adds or replaces one; both ends checked (an old address of this blog, a path of this blog). */
  async set(from: string, to: string): Promise<PathRedirect> {
    const key = oldPathKey(from.trim());
    const target = to.trim();
    if (!key || key === '/' || !from.trim().startsWith('/'))
      throw new ContentValidationError('The old address must be a path of this blog, like /2019/05/old-post/.', 'from');
    if (!isLocalTarget(target))
      throw new ContentValidationError('The new address must be a path of this blog, like /posts/new-post.', 'to');
    if (oldPathKey(target) === key) throw new ContentValidationError('An address cannot redirect to itself.', 'to');
    const em = this.em.fork();
    await em.upsert(PathRedirect, new PathRedirect(key, target));
    return new PathRedirect(key, target);
  }

  async remove(from: string): Promise<boolean> {
    const key = oldPathKey(from);
    return key ? (await this.em.fork().nativeDelete(PathRedirect, { fromPath: key })) > 0 : false;
  }
}
