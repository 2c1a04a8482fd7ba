import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Render, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';

import { AdminGuard } from '@app/auth';
import { TagsService } from '@app/content';

import { field, type FormBody, notice } from './forms.js';
import { tagUrl } from '../site/view-models.js';

@Controller('admin/tags')
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
  async rename(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody, @Res() res: Response): Promise<void> {
    await this.tags.rename(id, field(body, 'name'));
    res.redirect(303, '/admin/tags?notice=renamed');
  }

  @Post(':id/merge')
  async merge(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody, @Res() res: Response): Promise<void> {
    const into = Number(field(body, 'into'));
    await this.tags.merge(id, Number.isInteger(into) ? into : -1);
    res.redirect(303, '/admin/tags?notice=merged');
  }

  @Post(':id/delete')
  async destroy(@Param('id', ParseIntPipe) id: number, @Res() res: Response): Promise<void> {
    await this.tags.delete(id);
    res.redirect(303, '/admin/tags?notice=deleted');
  }
}
