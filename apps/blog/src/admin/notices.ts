import { type Post, publicationState } from '@app/content';

/** Messages shown after a redirect, by key: no text from the URL is ever echoed. */
const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  published: 'Published: it is live on the site.',
  scheduled: 'Scheduled: it will appear at its publication time.',
  deleted: 'Deleted.',
  restored: 'Revision restored (as a new revision).',
  uploaded: 'Image uploaded.',
  'renditions-some': 'Renditions made for some images from before; press again for the rest.',
  'renditions-done': 'Every image has its renditions now.',
  'logged-out': 'You are logged out.',
  renamed: 'Tag renamed.',
  merged: 'Tags merged.',
  'redirect-saved': 'Redirect saved.',
  'redirect-removed': 'Redirect removed.',
  'mention-approved': 'Mention approved: it shows under the post.',
  'mention-deleted': 'Mention deleted.',
};

export function notice(key: unknown): string | null {
  return typeof key === 'string' ? (NOTICES[key] ?? null) : null;
}

/** What the author is told about replication after a save (see WritePipeline). */
export function replicationNotice(outcome: unknown): { text: string; warning: boolean } | null {
  if (outcome === 'replicated') return { text: 'Replicated to the backup bucket.', warning: false };
  if (outcome === 'pending') {
    return { text: 'Saved on the server, not yet confirmed in the backup bucket; it will sync shortly.', warning: true };
  }
  return null;
}

/** Which notice a post save earns: its publication state, by the one rule. */
export function saveNotice(post: Pick<Post, 'status' | 'publishedAt'>, now: Date): string {
  const state = publicationState(post, now);
  return state === 'draft' ? 'saved' : state;
}
