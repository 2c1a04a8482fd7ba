import { Controller, RequestMethod, Res, SetMetadata, UseInterceptors } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';

import { AUTHOR_WRITE, NOT_A_WRITE } from './author-write.metadata.js';
import { WritePipeline } from './write-pipeline.interceptor.js';

/** Opts a POST handler of an admin controller out of the write pipeline (login, logout, preview: they write no content). */
export const NotAWrite = (): MethodDecorator => SetMetadata(NOT_A_WRITE, true);

/**
 * A controller under /admin. Its POST handlers are author writes unless marked @NotAWrite(): the
 * write pipeline (WritePipeline) runs them, and they return a WriteOutcome (where to go, or what
 * to show) instead of answering themselves. The pipeline sends the answer, so Nest is told to leave
 * the response alone, as `@Res()` does: the response is passed as one more argument the handler
 * does not declare.
 */
export function AdminController(path = ''): ClassDecorator {
  return (target) => {
    Controller(path ? `admin/${path}` : 'admin')(target);
    UseInterceptors(WritePipeline)(target);
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) continue;
      if (Reflect.getMetadata(NOT_A_WRITE, handler)) continue;
      Reflect.defineMetadata(AUTHOR_WRITE, true, handler);
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target, name) ?? {}) as Record<string, { index: number }>;
      const next = Math.max(handler.length, ...Object.values(args).map((a) => a.index + 1));
      Res()(prototype, name, next);
    }
  };
}
