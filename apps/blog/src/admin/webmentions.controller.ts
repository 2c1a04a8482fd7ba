import { Get, Param, ParseIntPipe, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { ContentNotFoundError, postUrl, WebmentionsService } from '@app/content';

import { notice } from './notices.js';
import { AdminController } from './writes/admin-controller.decorator.js';
import { seeOther, type WriteOutcome } from './writes/outcome.js';

/**
 * Received Webmentions, verified and held: the author approves one (it then shows under its
 * post) or deletes it. Held ones are listed first.
 */
@AdminController('webmentions')
@UseGuards(AdminGuard)
export class AdminWebmentionsController {
  constructor(private readonly mentions: WebmentionsService) {}

  @Get()
  @Render('admin/webmentions')
  async list(@Query('notice') key: unknown) {
    const rows = await this.mentions.listForAdmin();
    const shape = (r: (typeof rows)[number]) => ({
      ...r,
      postUrl: postUrl(r.postSlug),
      authorName: r.authorName ?? new URL(r.source).host,
    });
    return {
      layout: 'admin',
      title: 'Webmentions',
      notice: notice(key),
      held: rows.filter((r) => !r.approved).map(shape),
      approved: rows.filter((r) => r.approved).map(shape),
    };
  }

  @Post(':id/approve')
  async approve(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    if (!(await this.mentions.approve(id))) throw new ContentNotFoundError(`Webmention ${id} is not waiting for approval.`);
    return seeOther('/admin/webmentions?notice=mention-approved');
  }

  @Post(':id/delete')
  async remove(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    if (!(await this.mentions.delete(id))) throw new ContentNotFoundError(`Webmention ${id} does not exist.`);
    return seeOther('/admin/webmentions?notice=mention-deleted');
  }
}
