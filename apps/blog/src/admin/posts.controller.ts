import { Body, Get, Param, ParseIntPipe, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import {
  Clock,
  ContentNotFoundError,
  ContentValidationError,
  type Post as PostEntity,
  PostsService,
  postUrl,
  publicationState,
  type PublicationState,
  RevisionsService,
  SocialCardsService,
} from '@app/content';

import { AdminController } from './writes/admin-controller.decorator.js';
import { page, seeOther, type WriteOutcome } from './writes/outcome.js';
import { contentInput, fields, type FormBody, toDateInput } from './forms.js';
import { editorView } from './editor-view.js';
import { notice, saveNotice } from './notices.js';
import { parsePage } from '../common/page-param.js';
import { WebmentionSender } from '../webmention/sender.service.js';

const POST_FIELDS = ['title', 'slug', 'markdown', 'summary', 'tags', 'status', 'publishedAt', 'cardImage'] as const;
const FILTERS: PublicationState[] = ['draft', 'published', 'scheduled'];

@AdminController('posts')
@UseGuards(AdminGuard)
export class AdminPostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly revisions: RevisionsService,
    private readonly clock: Clock,
    private readonly webmentions: WebmentionSender,
    private readonly cards: SocialCardsService,
  ) {}

  @Get()
  @Render('admin/posts')
  async list(
    @Query('status') status: unknown,
    @Query('q') q: unknown,
    @Query('page') page: unknown,
    @Query('notice') key: unknown,
  ) {
    const filter = FILTERS.includes(status as PublicationState) ? (status as PublicationState) : undefined;
    const title = typeof q === 'string' ? q.slice(0, 200) : '';
    const result = await this.posts.listForAdmin({ status: filter, title }, parsePage(page));
    const now = this.clock.now();
    return {
      layout: 'admin',
      title: 'Posts',
      notice: notice(key),
      q: title,
      filters: [{ value: '', label: 'All' }, ...FILTERS.map((f) => ({ value: f, label: f[0].toUpperCase() + f.slice(1) }))].map(
        (f) => ({
          ...f,
          selected: (filter ?? '') === f.value,
        }),
      ),
      posts: result.posts.map((p) => ({
        id: p.id,
        title: p.title,
        url: postUrl(p.slug),
        state: publicationState(p, now),
        updatedAt: p.updatedAt,
        publishedAt: p.publishedAt,
        tags: p.tags
          .getItems()
          .map((t) => t.name)
          .join(', '),
      })),
      total: result.total,
    };
  }

  @Get('new')
  @Render('admin/post-edit')
  create() {
    return this.editor(null, {
      title: '',
      slug: '',
      markdown: '',
      summary: '',
      tags: '',
      status: 'draft',
      publishedAt: '',
      cardImage: '',
    });
  }

  @Post('new')
  async store(@Body() body: FormBody): Promise<WriteOutcome> {
    const input = contentInput(body);
    try {
      const post = await this.posts.create(input);
      // Within this request (bounded, never failing the save): Cloud Run has no CPU after it.
      await this.webmentions.sendFor(post);
      return seeOther(`/admin/posts/${post.id}/edit?notice=${saveNotice(post, this.clock.now())}`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      return page('admin/post-edit', { ...this.editor(null, fields(body, POST_FIELDS)), error: err.message }, { status: 400 });
    }
  }

  @Get(':id/edit')
  @Render('admin/post-edit')
  async edit(@Param('id', ParseIntPipe) id: number, @Query('notice') key: unknown) {
    const post = await this.find(id);
    const card = await this.cards.imageFor(post);
    return {
      card: card && { url: card.url, replaced: post.cardImageId !== null },
      ...this.editor(post, {
        title: post.title,
        slug: post.slug,
        markdown: post.markdown,
        tags: post.tags
          .getItems()
          .map((t) => t.name)
          .join(', '),
        status: post.status,
        publishedAt: toDateInput(post.publishedAt),
        summary: post.summary,
        cardImage: post.cardImageId !== null && card ? card.url : '',
      }),
      notice: notice(key),
    };
  }

  @Post(':id/edit')
  async update(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody): Promise<WriteOutcome> {
    const post = await this.find(id);
    try {
      const saved = await this.posts.update(id, contentInput(body));
      await this.webmentions.sendFor(saved);
      return seeOther(`/admin/posts/${id}/edit?notice=${saveNotice(saved, this.clock.now())}`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      return page('admin/post-edit', { ...this.editor(post, fields(body, POST_FIELDS)), error: err.message }, { status: 400 });
    }
  }

  @Get(':id/delete')
  @Render('admin/confirm-delete')
  async confirmDelete(@Param('id', ParseIntPipe) id: number) {
    const post = await this.find(id);
    return {
      layout: 'admin',
      title: 'Delete post',
      what: 'post',
      name: post.title,
      action: `/admin/posts/${id}/delete`,
      back: `/admin/posts/${id}/edit`,
    };
  }

  @Post(':id/delete')
  async destroy(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    const deleted = await this.posts.delete(id);
    // The post's address answers 410 from now on: each page it had mentioned is told, within this
    // request (bounded, never failing the delete), so its receiver can drop the mention.
    await this.webmentions.sendDeleted(deleted.path, deleted.sentTo);
    return seeOther('/admin/posts?notice=deleted');
  }

  @Get(':id/revisions')
  @Render('admin/revisions')
  async revisionList(@Param('id', ParseIntPipe) id: number) {
    const post = await this.find(id);
    const revisions = await this.revisions.list(id);
    return {
      layout: 'admin',
      title: `Revisions of ${post.title}`,
      post: { id: post.id, title: post.title },
      revisions: revisions.map((r, i) => ({ id: r.id, title: r.title, createdAt: r.createdAt, current: i === 0 })),
    };
  }

  @Get(':id/revisions/:revisionId')
  @Render('admin/revision')
  async revision(@Param('id', ParseIntPipe) id: number, @Param('revisionId', ParseIntPipe) revisionId: number) {
    const post = await this.find(id);
    const [revision, diff] = await Promise.all([
      this.revisions.get(id, revisionId),
      this.revisions.diffWithCurrent(id, revisionId),
    ]);
    return {
      layout: 'admin',
      title: `Revision of ${post.title}`,
      post: { id: post.id, title: post.title },
      revision: { id: revision.id, title: revision.title, markdown: revision.markdown, createdAt: revision.createdAt },
      diff,
      unchanged: diff.every((l) => l.kind === 'same'),
    };
  }

  @Post(':id/revisions/:revisionId/restore')
  async restore(
    @Param('id', ParseIntPipe) id: number,
    @Param('revisionId', ParseIntPipe) revisionId: number,
  ): Promise<WriteOutcome> {
    await this.revisions.restore(id, revisionId);
    return seeOther(`/admin/posts/${id}/edit?notice=restored`);
  }

  private async find(id: number): Promise<PostEntity> {
    const post = await this.posts.findById(id);
    if (!post) throw new ContentNotFoundError(`Post ${id} does not exist.`);
    return post;
  }

  private editor(post: PostEntity | null, values: Record<string, string>) {
    const item = post && {
      id: post.id,
      title: post.title,
      url: postUrl(post.slug),
      state: publicationState(post, this.clock.now()),
    };
    return editorView('post', item, values);
  }
}
