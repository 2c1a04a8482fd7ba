import { Body, Get, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { oldPathKey, RedirectsService } from '@app/content';

import { field, type FormBody } from './forms.js';
import { notice } from './notices.js';
import { AdminController } from './writes/admin-controller.decorator.js';
import { seeOther, type WriteOutcome } from './writes/outcome.js';

/**
 * The redirect table the author can see and edit: old addresses (most written by an import) and
 * where they send readers. A path is tested here without leaving the admin.
 */
@AdminController('redirects')
@UseGuards(AdminGuard)
export class AdminRedirectsController {
  constructor(private readonly redirects: RedirectsService) {}

  @Get()
  @Render('admin/redirects')
  async list(@Query('notice') key: unknown, @Query('test') test: unknown) {
    const rows = await this.redirects.list();
    let tested = null;
    if (typeof test === 'string' && test.trim()) {
      const path = test.trim().slice(0, 600);
      const to = await this.redirects.find(path);
      tested = { path, key: oldPathKey(path), to };
    }
    return {
      layout: 'admin',
      title: 'Redirects',
      notice: notice(key),
      redirects: rows.map((r) => ({ from: r.fromPath, to: r.toPath })),
      tested,
    };
  }

  @Post()
  async add(@Body() body: FormBody): Promise<WriteOutcome> {
    await this.redirects.set(field(body, 'from'), field(body, 'to'));
    return seeOther('/admin/redirects?notice=redirect-saved');
  }

  @Post('delete')
  async remove(@Body() body: FormBody): Promise<WriteOutcome> {
    await this.redirects.remove(field(body, 'from'));
    return seeOther('/admin/redirects?notice=redirect-removed');
  }
}
