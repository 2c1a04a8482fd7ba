import { type DynamicModule, Global, Module } from '@nestjs/common';

import { MEDIA_STORE, MediaCache, type MediaStore, SOCIAL_CARD_OPTIONS, type SocialCardOptions } from '@app/content';

import type { MediaStoreConfig } from '../config/config.js';
import { CARD_ASSETS_DIR } from '../paths.js';
import { FolderMediaStore } from './folder-media-store.js';
import { GcsMediaStore } from './gcs-media-store.js';

export function openMediaStore(config: MediaStoreConfig): MediaStore {
  return config.kind === 'gcs' ? new GcsMediaStore(config.bucket, config.prefix) : new FolderMediaStore(config.path);
}

/**
 * The media store and the hot-image cache @app/content's MediaService uses (global, like the
 * database), and where its social cards find their fonts (the build's dist/card-assets).
 */
@Global()
@Module({})
export class MediaStoreModule {
  static forRoot(config: MediaStoreConfig, cacheBytes: number, cardTimeoutMs = 5000): DynamicModule {
    const cards: SocialCardOptions = { assetsDir: CARD_ASSETS_DIR, timeoutMs: cardTimeoutMs };
    return {
      module: MediaStoreModule,
      providers: [
        { provide: MEDIA_STORE, useValue: openMediaStore(config) },
        { provide: MediaCache, useValue: new MediaCache(cacheBytes) },
        { provide: SOCIAL_CARD_OPTIONS, useValue: cards },
      ],
      exports: [MEDIA_STORE, MediaCache, SOCIAL_CARD_OPTIONS],
    };
  }
}
