import type { NextFunction, Request, Response } from 'express';

import type { AppLogger } from '../logging/app-logger.js';

/** One line per request, with Cloud Logging's httpRequest fields (no IP: we keep nothing personal). */
export function requestLog(logger: AppLogger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      logger.request({
        requestMethod: req.method,
        requestUrl: req.originalUrl,
        status: res.statusCode,
        responseSize: res.getHeader('content-length')?.toString(),
        userAgent: req.get('user-agent'),
        latency: `${seconds.toFixed(4)}s`,
        protocol: `HTTP/${req.httpVersion}`,
      });
    });
    next();
  };
}
