import { Body, Get, Param, ParseIntPipe, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { TagsService, tagUrl } from '@app/content';

import { AdminController } from './writes/admin-controller.decorator.js';
import { seeOther, type WriteOutcome } from './writes/outcome.js';
import { field, type FormBody } from './forms.js';
import { notice } from './notices.js';

@AdminController('tags')
@UseGuards(AdminGuard)
export class AdminTagsController {
  constructor(private readonly tags: TagsService) {}

  @Get()
  @Render('admin/tags')
  async list(@Query('notice') key: unknown) {
    const tags = await this.tags.allWithCounts();
    return { layout: 'admin', title: 'Tags', notice: notice(key), tags: tags.map((t) => ({ ...t, url: tagUrl(t.slug) })) };
  }

  @Post(':id/rename')
  async rename(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody): Promise<WriteOutcome> {
    await this.tags.rename(id, field(body, 'name'));
    return seeOther('/admin/tags?notice=renamed');
  }

  @Post(':id/merge')
  async merge(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody): Promise<WriteOutcome> {
    const into = Number(field(body, 'into'));
    await this.tags.merge(id, Number.isInteger(into) ? into : -1);
    return seeOther('/admin/tags?notice=merged');
  }

  @Post(':id/delete')
  async destroy(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    await this.tags.delete(id);
    return seeOther('/admin/tags?notice=deleted');
  }
}
