import { Body, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';

import { AdminGuard } from '@app/auth';
import { ContentSaver, LIMITS } from '@app/content';

import { field, type FormBody } from './forms.js';
import { AdminController, NotAWrite } from './writes/admin-controller.decorator.js';

/**
 * The editor's preview, with the very renderer the site uses at save: JSON for the live preview
 * script, a page for the no-JavaScript "Preview in a new tab" button.
 */
@AdminController('preview')
@UseGuards(AdminGuard)
export class PreviewController {
  constructor(private readonly saver: ContentSaver) {}

  @Post()
  @NotAWrite()
  @HttpCode(200)
  async preview(@Body() body: FormBody, @Req() req: Request, @Res() res: Response): Promise<void> {
    const markdown = field(body, 'markdown').slice(0, LIMITS.markdown);
    // The save's own rendering (image sizes and renditions included): the preview is what readers get.
    const { html, wordCount, readingMinutes } = await this.saver.render(markdown);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ html, wordCount, readingMinutes });
      return;
    }
    res.render('admin/preview', {
      layout: 'admin',
      title: `Preview: ${field(body, 'title') || 'untitled'}`,
      postTitle: field(body, 'title'),
      html,
      wordCount,
    });
  }
}
