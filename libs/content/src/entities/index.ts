import { GonePath } from './gone-path.entity.js';
import { Media } from './media.entity.js';
import { Page } from './page.entity.js';
import { PostView } from './post-view.entity.js';
import { Post } from './post.entity.js';
import { Revision } from './revision.entity.js';
import { Setting } from './setting.entity.js';
import { PathRedirect } from './path-redirect.entity.js';
import { SlugRedirect } from './slug-redirect.entity.js';
import { Tag } from './tag.entity.js';
import { Webmention, WebmentionSent } from './webmention.entity.js';

/** Listed explicitly: glob discovery differs between ts-jest and the compiled app. */
export const contentEntities = [
  Post,
  Page,
  Tag,
  Setting,
  PostView,
  Revision,
  SlugRedirect,
  Media,
  PathRedirect,
  Webmention,
  WebmentionSent,
  GonePath,
];

export { GonePath, Media, Page, PathRedirect, Post, PostView, Revision, Setting, SlugRedirect, Tag, Webmention, WebmentionSent };
export { WEBMENTION_KINDS, type WebmentionKind } from './webmention.entity.js';
export { POST_STATUSES, readerExcerpt } from './post.entity.js';
export type { PostStatus, RenderedBody } from './post.entity.js';
export type { MediaPurpose, RenditionInfo } from './media.entity.js';
