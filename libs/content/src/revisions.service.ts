import { EntityManager } from '@mikro-orm/better-sqlite';
import { Injectable } from '@nestjs/common';
import { diffLines } from 'diff';

import { Revision } from './entities/index.js';
import { ContentNotFoundError } from './errors.js';
import { PostsService } from './posts.service.js';

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

@Injectable()
export class RevisionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly posts: PostsService,
  ) {}

  list(postId: number) {
    return this.em.find(Revision, { post: postId }, { orderBy: { createdAt: 'desc', id: 'desc' }, exclude: ['markdown'] });
  }

  async get(postId: number, revisionId: number): Promise<Revision> {
    const revision = await this.em.findOne(Revision, { id: revisionId, post: postId });
    if (!revision) throw new ContentNotFoundError(`Revision ${revisionId} of post ${postId} does not exist.`);
    return revision;
  }

  /** Line diff from the revision to the post as it is now. */
  async diffWithCurrent(postId: number, revisionId: number): Promise<DiffLine[]> {
    const [revision, post] = await Promise.all([this.get(postId, revisionId), this.posts.findById(postId)]);
    if (!post) throw new ContentNotFoundError(`Post ${postId} does not exist.`);
    const old = `# ${revision.title}\n\n${revision.markdown}`;
    const now = `# ${post.title}\n\n${post.markdown}`;
    return diffLines(old, now).flatMap((part) =>
      part.value
        .replace(/\n$/, '')
        .split('\n')
        .map((text) => ({ kind: part.added ? 'added' : part.removed ? 'removed' : 'same', text }) as DiffLine),
    );
  }

  /** Brings back an old title and text; slug, status, date and tags stay. The restore is itself a revision. */
  async restore(postId: number, revisionId: number) {
    const [revision, post] = await Promise.all([this.get(postId, revisionId), this.posts.findById(postId)]);
    if (!post) throw new ContentNotFoundError(`Post ${postId} does not exist.`);
    return this.posts.update(postId, {
      title: revision.title,
      markdown: revision.markdown,
      slug: post.slug,
      status: post.status,
      publishedAt: post.publishedAt,
      tags: post.tags.getItems().map((t) => t.name),
    });
  }
}
