import 'reflect-metadata';

import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';

import { AdminModule } from '../admin.module.js';
import { AUTHOR_WRITE } from './author-write.metadata.js';
import { WritePipeline } from './write-pipeline.interceptor.js';

type Handler = (...args: unknown[]) => unknown;

/** Every POST route of the admin as "METHOD path", with whether the write pipeline runs it. */
function adminPosts(): Map<string, boolean> {
  const routes = new Map<string, boolean>();
  for (const controller of Reflect.getMetadata('controllers', AdminModule) as (new () => object)[]) {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, Handler>)[name];
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) continue;
      const path = [base, Reflect.getMetadata(PATH_METADATA, handler) as string].filter((p) => p && p !== '/').join('/');
      routes.set(`POST /${path}`, Reflect.getMetadata(AUTHOR_WRITE, handler) === true);
    }
  }
  return routes;
}

describe('AdminController: writes are declared on the routes', () => {
  it('runs every admin controller through the write pipeline', () => {
    for (const controller of Reflect.getMetadata('controllers', AdminModule) as object[]) {
      expect(Reflect.getMetadata(PATH_METADATA, controller)).toMatch(/^admin(\/|$)/);
      expect(Reflect.getMetadata(INTERCEPTORS_METADATA, controller)).toContain(WritePipeline);
    }
  });

  it('makes every POST under /admin a write, but login, logout and the preview', () => {
    const routes = adminPosts();
    const notWrites = [...routes].filter(([, write]) => !write).map(([route]) => route);
    expect(notWrites.sort()).toEqual(['POST /admin/login', 'POST /admin/logout', 'POST /admin/preview']);
    expect(routes.get('POST /admin/backup/import')).toBe(true);
    expect(routes.get('POST /admin/posts/new')).toBe(true);
    expect(routes.size).toBeGreaterThan(10);
  });
});
