export { Clock } from './clock.js';
export { ContentModule } from './content.module.js';
export { ContentEvents, type ContentChange } from './content-events.js';
export {
  contentEntities,
  GonePath,
  Media,
  type MediaPurpose,
  type RenditionInfo,
  Page,
  Post,
  PostView,
  Revision,
  Setting,
  PathRedirect,
  SlugRedirect,
  Tag,
  Webmention,
  WebmentionSent,
  WEBMENTION_KINDS,
  type WebmentionKind,
  POST_STATUSES,
  type PostStatus,
} from './entities/index.js';
export { ContentError, ContentNotFoundError, ContentValidationError } from './errors.js';
export { isLocalTarget, oldPathKey } from './redirects.js';
export { RedirectsService } from './redirects.service.js';
export { renderMarkdown } from './lazy-renderer.js';
export { type ContentInput, LIMITS, parseTagList } from './content-input.js';
export { MediaCache } from './media/media-cache.js';
export { hashOfKey } from './media/media-keys.js';
export { MEDIA_STORE, type MediaStore, type StoredObject } from './media/media-store.js';
export { MAX_PIXELS, RENDITION_FORMATS, RENDITION_WIDTHS } from './media/image-pipeline.js';
export {
  MAX_UPLOAD_BYTES,
  MediaInUseError,
  MediaService,
  MediaTooLargeError,
  RENDITIONS_ON_REQUEST_MS,
  RENDITIONS_ON_VISIT_MS,
  UnsupportedMediaError,
  type MediaBody,
  type MediaObjectRef,
  type MediaSummary,
  type MediaUse,
  type RenditionsProgress,
  type StoredMedia,
  type SweepOutcome,
} from './media.service.js';
export {
  describeReport,
  ExportService,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  ImportError,
  ImportService,
  isMarkdownFile,
  MAX_IMPORT_BYTES,
  readImport,
  sourceFile,
  type ImportBundle,
  type ImportCounts,
  type ImportFormat,
  type ImportOptions,
  type ImportReport,
  type InkstoneExport,
  type SourceFile,
} from './portability/index.js';
export { ContentSaver, RESERVED_PAGE_SLUGS } from './content-saver.js';
export { PagesService, type NavItem } from './pages.service.js';
export { type DeletedPost, PostsService, type ListedPost, type Neighbours, type PostPage } from './posts.service.js';
export { type DiffLine, RevisionsService } from './revisions.service.js';
export { MAX_QUERY_LENGTH, SearchService, toFtsQuery, type SearchHit, type SearchResult } from './search.service.js';
export { DEFAULT_SETTINGS, SettingsService, type SiteSettings, validateSettings } from './settings.service.js';
export { slugify } from './slug.js';
export { type CardImage, type CardOutcome, SocialCardsService } from './social-cards.service.js';
export { type CardFontFile, type CardManifest, SOCIAL_CARD_OPTIONS, type SocialCardOptions } from './social-card/card-options.js';
export { CARD_COLOURS, CARD_HEIGHT, CARD_WIDTH, type CardContent } from './social-card/card-template.js';
export { renderCard } from './social-card/card-renderer.js';
export { TagsService, type TagSummary } from './tags.service.js';
export {
  FEED_URL,
  JSON_FEED_URL,
  mediaIdOfSegment,
  mediaUrl,
  pageUrl,
  postSlugOfPath,
  postUrl,
  renditionUrl,
  tagUrl,
} from './urls.js';
export { type ShownCounts, ViewCounterService } from './view-counter.service.js';
export { isVisible, publicationState, type PublicationState } from './visibility.js';
export { WRITE_GATE, type WriteGate } from './write-gate.js';
export { type AdminMention, type MentionFacts, type ShownMentions, WebmentionsService } from './webmentions.service.js';
