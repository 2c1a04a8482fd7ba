import { type DynamicModule, Global, Module } from '@nestjs/common';

import { MEDIA_STORE, MediaCache, type MediaStore } from '@app/content';

import type { MediaStoreConfig } from '../config/config.js';
import { FolderMediaStore } from './folder-media-store.js';
import { GcsMediaStore } from './gcs-media-store.js';

export function openMediaStore(config: MediaStoreConfig): MediaStore {
  return config.kind === 'gcs' ? new GcsMediaStore(config.bucket, config.prefix) : new FolderMediaStore(config.path);
}

/** The media store and the hot-image cache @app/content's MediaService uses (global, like the database). */
@Global()
@Module({})
export class MediaStoreModule {
  static forRoot(config: MediaStoreConfig, cacheBytes: number): DynamicModule {
    return {
      module: MediaStoreModule,
      providers: [
        { provide: MEDIA_STORE, useValue: openMediaStore(config) },
        { provide: MediaCache, useValue: new MediaCache(cacheBytes) },
      ],
      exports: [MEDIA_STORE, MediaCache],
    };
  }
}
