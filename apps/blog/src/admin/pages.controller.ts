import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Render, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';

import { AdminGuard } from '@app/auth';
import { ContentNotFoundError, ContentValidationError, type Page, PagesService } from '@app/content';

import { contentInput, fields, type FormBody, notice } from './forms.js';

const PAGE_FIELDS = ['title', 'slug', 'markdown', 'status', 'navOrder'] as const;

@Controller('admin/pages')
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
        url: `/${encodeURIComponent(p.slug)}`,
        status: p.status,
        navOrder: p.navOrder,
        updatedAt: p.updatedAt,
      })),
    };
  }

  @Get('new')
  @Render('admin/post-edit')
  create() {
    return this.editor(null, { title: '', slug: '', markdown: '', status: 'draft', navOrder: '' });
  }

  @Post('new')
  async store(@Body() body: FormBody, @Res() res: Response): Promise<void> {
    try {
      const page = await this.pages.create(contentInput(body));
      res.redirect(303, `/admin/pages/${page.id}/edit?notice=saved`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      res.status(400).render('admin/post-edit', { ...this.editor(null, fields(body, PAGE_FIELDS)), error: err.message });
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
      }),
      notice: notice(key),
    };
  }

  @Post(':id/edit')
  async update(@Param('id', ParseIntPipe) id: number, @Body() body: FormBody, @Res() res: Response): Promise<void> {
    const page = await this.find(id);
    try {
      await this.pages.update(id, contentInput(body));
      res.redirect(303, `/admin/pages/${id}/edit?notice=saved`);
    } catch (err) {
      if (!(err instanceof ContentValidationError)) throw err;
      res.status(400).render('admin/post-edit', { ...this.editor(page, fields(body, PAGE_FIELDS)), error: err.message });
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
  async destroy(@Param('id', ParseIntPipe) id: number, @Res() res: Response): Promise<void> {
    await this.pages.delete(id);
    res.redirect(303, '/admin/pages?notice=deleted');
  }

  private async find(id: number): Promise<Page> {
    const page = await this.pages.findById(id);
    if (!page) throw new ContentNotFoundError(`Page ${id} does not exist.`);
    return page;
  }

  private editor(page: Page | null, formValues: Record<string, string>) {
    return {
      layout: 'admin',
      title: page ? `Edit page: ${page.title}` : 'New page',
      editor: true,
      kind: 'page',
      isPage: true,
      action: page ? `/admin/pages/${page.id}/edit` : '/admin/pages/new',
      post: page && { id: page.id, url: `/${encodeURIComponent(page.slug)}`, state: page.status },
      values: formValues,
      statuses: [
        { value: 'draft', label: 'Draft', selected: formValues.status !== 'published' },
        { value: 'published', label: 'Published', selected: formValues.status === 'published' },
      ],
    };
  }
}
