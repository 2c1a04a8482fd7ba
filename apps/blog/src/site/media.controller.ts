import { Controller, Get, Headers, Logger, NotFoundException, Param, Res } from '@nestjs/common';
import { finished, type Readable } from 'node:stream';

import type { Response } from 'express';

import { mediaIdOfSegment, type MediaObjectRef, MediaService } from '@app/content';

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
    await this.stream(body.stream, ref, res);
  }

  /**
   * Pipes a large object to the reader. Headers go with the first bytes, so a read that fails before
   * them still answers 404; after them only cutting the connection tells the reader (and any cache
   * between) that the image is incomplete: a short body under a promised Content-Length would leave
   * the connection waiting for bytes that never come.
   */
  private stream(source: Readable, ref: MediaObjectRef, res: Response): Promise<void> {
    if (res.req.method === 'HEAD') {
      source.destroy();
      res.end();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let sent = 0;
      let readerGone = false;
      const fail = (reason: string) => {
        if (readerGone) return resolve();
        this.logger.error(`media ${ref.id}: reading ${ref.key} failed: ${reason}`);
        source.destroy();
        if (!res.headersSent) {
          res.removeHeader('Content-Length');
          res.removeHeader('Cache-Control');
          res.removeHeader('ETag');
          res.status(404).type('text/plain').send('Not Found');
        } else res.destroy();
        resolve();
      };
      source.on('data', (chunk: Buffer) => (sent += chunk.length));
      // finished, not only 'end' and 'error': a store stream destroyed without an error (premature
      // close) is a failure too. One that never ends at all is the store's to bound (stall-timeout.ts).
      finished(source, (err) => {
        if (err) return fail(err.message);
        if (sent !== ref.size) return fail(`the store gave ${sent} of ${ref.size} bytes`);
        res.end();
        resolve();
      });
      // The reader went away: stop reading the store.
      res.on('close', () => {
        readerGone = !res.writableFinished;
        source.destroy();
        resolve();
      });
      source.pipe(res, { end: false });
    });
  }
}
