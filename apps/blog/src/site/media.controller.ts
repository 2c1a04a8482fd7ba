import { Controller, Get, Headers, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import { MediaService } from '@app/content';

@Controller('media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** Images never change under an id (a new upload gets a new id), so caches may keep them forever. */
  @Get(':id/:name')
  async serve(
    @Param('id') id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (!/^[1-9]\d{0,9}$/.test(id)) throw new NotFoundException();
    const media = await this.media.get(Number(id));
    if (!media) throw new NotFoundException();
    const etag = `"${media.sha256}"`;
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (ifNoneMatch === etag) {
      res.status(304).end();
      return;
    }
    res.type(media.contentType).send(media.data);
  }
}
