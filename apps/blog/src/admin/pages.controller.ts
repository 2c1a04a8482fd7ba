import { Body, Get, Param, ParseIntPipe, Post, Query, Render, UseGuards } from '@nestjs/common';

import { AdminGuard } from '@app/auth';
import { ContentNotFoundError, ContentValidationError, type Page, PagesService, pageUrl } from '@app/content';

import { AdminController } from './writes/admin-controller.decorator.js';
import { page as pageOutcome, seeOther, type WriteOutcome } from './writes/outcome.js';
import { contentInput, fields, type FormBody } from './forms.js';
import { editorView } from './editor-view.js';
import { notice } from './notices.js';

const PAGE_FIELDS = ['title', 'slug', 'markdown', 'summary', 'status', 'navOrder'] as const;

@AdminController('pages')
@UseGuards(AdminGuard)
export class AdminPagesController {
  constructor(private readonly pages: PagesService) {}

  @Get()
  @Render('admin/pages')
  async list(@Query('notice') key: unknown) {
    const pages = await this.pages.listForAdmin();
    return {
      layout: 'admin',
      title: 'Pages',
      notice: notice(key),
      pages: pages.map((p) => ({
        id: p.id,
        title: p.title,
        url: pageUrl(p.slug),
        status: p.status,
        navOrder: p.navOrder,
        updatedAt: p.updatedAt,
      })),
    };
  }

  @Get('new')
  @Render('admin/post-edit')
  create() {
    return this.editor(null, { title: '', slug: '', markdown: '', summary: '', status: 'draft', navOrder: '' });
  }

  @Post('new')
  async store(@Body() body: FormBody): Promise<WriteOutcome> {
    try {
      const page = await this.pages.create(contentInput(body));
      return seeOther(`/admin/pages/${page.id}/edit?notice=saved`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      return pageOutcome(
        'admin/post-edit',
        { ...this.editor(null, fields(body, PAGE_FIELDS)), error: err.message },
        { status: 400 },
      );
    }
  }

  @Get(':id/edit')
  @Render('admin/post-edit')
  async edit(@Param('id', ParseIntPipe) id: number, @Query('notice') key: unknown) {
    const page = await this.find(id);
    return {
      ...this.editor(page, {
        title: page.title,
        slug: page.slug,
        markdown: page.markdown,
        status: page.status,
        navOrder: page.navOrder?.toString() ?? '',
        summary: page.summary,
      }),
      notice: notice(key),
    };
  }

  @Post(':id/edit')
  async update(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody): Promise<WriteOutcome> {
    const page = await this.find(id);
    try {
      await this.pages.update(id, contentInput(body));
      return seeOther(`/admin/pages/${id}/edit?notice=saved`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      return pageOutcome(
        'admin/post-edit',
        { ...this.editor(page, fields(body, PAGE_FIELDS)), error: err.message },
        { status: 400 },
      );
    }
  }

  @Get(':id/delete')
  @Render('admin/confirm-delete')
  async confirmDelete(@Param('id', ParseIntPipe) id: number) {
    const page = await this.find(id);
    return {
      layout: 'admin',
      title: 'Delete page',
      what: 'page',
      name: page.title,
      action: `/admin/pages/${id}/delete`,
      back: `/admin/pages/${id}/edit`,
    };
  }

  @Post(':id/delete')
  async destroy(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    await this.pages.delete(id);
    return seeOther('/admin/pages?notice=deleted');
  }

  private async find(id: number): Promise<Page> {
    const page = await this.pages.findById(id);
    if (!page) throw new ContentNotFoundError(`Page ${id} does not exist.`);
    return page;
  }

  private editor(page: Page | null, values: Record<string, string>) {
    // A page has no date: published is visible.
    const item = page && { id: page.id, title: page.title, url: pageUrl(page.slug), state: page.status };
    return editorView('page', item, values);
  }
}
