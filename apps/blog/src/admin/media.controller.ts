import {
  Get,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Render,
  Req,
  UnsupportedMediaTypeException,
  UploadedFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { Request } from 'express';

import { AdminGuard } from '@app/auth';
import {
  MAX_UPLOAD_BYTES,
  MediaService,
  mediaUrl,
  RENDITIONS_ON_REQUEST_MS,
  RENDITIONS_ON_VISIT_MS,
  renditionUrl,
} from '@app/content';

import { notice } from './notices.js';
import { AdminController } from './writes/admin-controller.decorator.js';
import { json, seeOther, type WriteOutcome } from './writes/outcome.js';

@AdminController('media')
@UseGuards(AdminGuard)
export class AdminMediaController {
  constructor(private readonly media: MediaService) {}

  @Get()
  @Render('admin/media')
  async library(@Query('notice') key: unknown) {
    // The orphan sweep (when due) and renditions for images from before ride on the author's visit
    // (MediaService.sweepIfDue, catchUpRenditions); the list comes after, showing what was made.
    await Promise.all([this.media.sweepIfDue(), this.media.catchUpRenditions(RENDITIONS_ON_VISIT_MS)]);
    const [items, withoutRenditions] = await Promise.all([this.media.list(), this.media.countMissingRenditions()]);
    return {
      layout: 'admin',
      title: 'Media',
      notice: notice(key),
      withoutRenditions,
      renditionsPressSeconds: RENDITIONS_ON_REQUEST_MS / 1000,
      maxMb: MAX_UPLOAD_BYTES / 1024 / 1024,
      items: items.map((m) => {
        const widths = [...new Set(m.renditions.map((r) => r.width))].sort((a, b) => a - b);
        // The library shows the smallest rendition, not a 10 MB original per tile.
        const smallest = m.renditions.find((r) => r.format === 'webp' && r.width === widths[0]);
        return {
          ...m,
          snippet: `![](${m.url})`,
          kb: Math.ceil(m.size / 1024),
          thumb: smallest ? renditionUrl(m, smallest) : m.url,
          renditionCount: m.renditions.length,
          renditionWidths: widths.join(', '),
          renditionKb: Math.ceil(m.renditionBytes / 1024),
          uses: m.uses.map((u) => ({
            ...u,
            editUrl: u.revision ? `/admin/posts/${u.id}/revisions/${u.revision.id}` : `/admin/${u.kind}s/${u.id}/edit`,
          })),
        };
      }),
    };
  }

  /**
   * From the library form (redirects back) and from the editor's paste/drop (answers JSON).
   * The CSRF token comes in the query or a header: the guard runs before the multipart body is read.
   */
  @Post()
  @UseInterceptors(
    FileInterceptor('file', { defParamCharset: 'utf8', limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5 } }),
  )
  async upload(@UploadedFile() file: Express.Multer.File | undefined, @Req() req: Request): Promise<WriteOutcome> {
    if (!file) throw new UnsupportedMediaTypeException('Choose an image file to upload.');
    const stored = await this.media.upload(file.buffer, file.originalname);
    const url = mediaUrl(stored);
    if (req.accepts(['html', 'json']) === 'json') {
      return json({ id: stored.id, url, markdown: `![](${url})`, width: stored.width, height: stored.height }, 201);
    }
    return seeOther('/admin/media?notice=uploaded');
  }

  /**
   * "Make renditions now" in the library: images from before renditions get them for up to
   * RENDITIONS_ON_REQUEST_MS while the author waits (the request holds the CPU on Cloud Run).
   * JSON (`{done, left}`) for a script that presses again until none is left.
   */
  @Post('renditions')
  async renditions(@Req() req: Request): Promise<WriteOutcome> {
    const progress = await this.media.catchUpRenditions(RENDITIONS_ON_REQUEST_MS);
    const left = await this.media.countMissingRenditions();
    if (req.accepts(['html', 'json']) === 'json') return json({ done: progress?.done ?? 0, left });
    return seeOther(`/admin/media?notice=${left ? 'renditions-some' : 'renditions-done'}`);
  }

  @Post(':id/delete')
  async destroy(@Param('id', ParseIntPipe) id: number): Promise<WriteOutcome> {
    await this.media.delete(id);
    return seeOther('/admin/media?notice=deleted');
  }
}
