import { LIMITS, type PublicationState } from '@app/content';

/** What the editor shows of a post or page being edited (null: a new one). */
export interface EditedItem {
  id: number;
  title: string;
  /** Where readers find it. */
  url: string;
  state: PublicationState;
}

const KINDS = {
  post: {
    base: '/admin/posts',
    newTitle: 'New post',
    editTitle: 'Edit',
    publishedLabel: 'Published (or scheduled, with a future date)',
    revisions: true,
  },
  page: { base: '/admin/pages', newTitle: 'New page', editTitle: 'Edit page', publishedLabel: 'Published', revisions: false },
} as const;

/**
 * The one view model of the editor (admin/post-edit.hbs) for posts and pages: the two differ
 * only in what KINDS says and in the fields the template shows for each kind.
 */
export function editorView(kind: keyof typeof KINDS, item: EditedItem | null, values: Record<string, string>) {
  const k = KINDS[kind];
  const itemBase = item && `${k.base}/${item.id}`;
  return {
    layout: 'admin',
    title: item ? `${k.editTitle}: ${item.title}` : k.newTitle,
    editor: true,
    kind,
    isPage: kind === 'page',
    action: itemBase ? `${itemBase}/edit` : `${k.base}/new`,
    item: item && {
      ...item,
      deleteUrl: `${itemBase}/delete`,
      revisionsUrl: k.revisions ? `${itemBase}/revisions` : null,
    },
    values,
    summaryMax: LIMITS.summary,
    statuses: [
      { value: 'draft', label: 'Draft', selected: values.status !== 'published' },
      { value: 'published', label: k.publishedLabel, selected: values.status === 'published' },
    ],
  };
}
