import { Controller, Get, Headers, Logger, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

import { mediaIdOfSegment, MediaService } from '@app/content';

@Controller('media')
export class MediaController {
  private readonly logger = new Logger('Media');

  constructor(private readonly media: MediaService) {}

  /**
   * The original at its file name, a rendition at its own (`photo-720w.avif`). Objects never change
   * under a name (a new upload gets a new id), so caches may keep them forever. Only what a row
   * names is served: an object in the store without a row is never reachable.
   */
  @Get(':id/:name')
  async serve(
    @Param('id') id: string,
    @Param('name') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const mediaId = mediaIdOfSegment(id);
    if (mediaId === null) throw new NotFoundException();
    const ref = await this.media.locate(mediaId, name);
    if (!ref) throw new NotFoundException();
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', ref.etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (ifNoneMatch === ref.etag) {
      res.status(304).end();
      return;
    }
    const body = await this.media.body(ref);
    if (!body) {
      // A row whose object is missing: say so in the log (it should never happen), 404 to the reader.
      this.logger.error(`media ${id}: object ${ref.key} is missing from the store`);
      throw new NotFoundException();
    }
    res.type(ref.contentType);
    if ('data' in body) {
      res.send(body.data);
      return;
    }
    res.setHeader('Content-Length', String(ref.size));
    await new Promise<void>((resolve) => {
      let started = false;
      body.stream.once('data', () => (started = true));
      body.stream.on('error', (err) => {
        this.logger.error(`media ${id}: reading ${ref.key} failed: ${err.message}`);
        if (!started && !res.headersSent) {
          res.removeHeader('Content-Length');
          res.removeHeader('Cache-Control');
          res.status(404).type('text/plain').send('Not Found');
        } else res.destroy();
        resolve();
      });
      body.stream.on('end', resolve);
      body.stream.pipe(res);
    });
  }
}
