/**
 * The social card's layout as satori's element objects (no JSX): site name, title, date, and the
 * post's feature image on the right when it has one. Colours are the light theme's (site.css
 * `:root`), checked against it by apps/blog/src/site/card-colours.spec.ts.
 */
export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 630;
/** Width of the feature image's panel. */
const FEATURE_WIDTH = 440;

export const CARD_COLOURS = {
  bg: '#fdfcfa',
  fg: '#1d1c1a',
  muted: '#5f5b55',
  accent: '#9c3d10',
} as const;

/** Bumped when the layout changes, so every card is made again (it is part of each card's source). */
export const CARD_TEMPLATE_VERSION = 1;

export interface CardContent {
  title: string;
  siteName: string;
  /** Already formatted in the site's language. */
  date: string;
  /** A JPEG data URI, FEATURE_WIDTH × CARD_HEIGHT, or null. */
  feature: string | null;
}

export interface CardElement {
  type: string;
  props: { style?: Record<string, string | number>; children?: (CardElement | string)[] | string; [key: string]: unknown };
}

const el = (type: string, style: Record<string, string | number>, children?: CardElement['props']['children'], extra = {}) => ({
  type,
  props: { style, children, ...extra },
});

/** Shorter titles get larger type; the longest are cut after four lines (satori's lineClamp adds the ellipsis). */
function titleSize(title: string, narrow: boolean): number {
  const length = [...title].length;
  const size = length <= 30 ? 76 : length <= 70 ? 62 : 50;
  return narrow ? Math.round(size * 0.85) : size;
}

export const FEATURE_SIZE = { width: FEATURE_WIDTH, height: CARD_HEIGHT } as const;

export function cardElement(card: CardContent): CardElement {
  const narrow = card.feature !== null;
  const text = el(
    'div',
    {
      display: 'flex',
      flexDirection: 'column',
      justifyContent: 'space-between',
      // The text takes what the image leaves, however long the title (the image never shrinks).
      flexGrow: 1,
      flexShrink: 1,
      minWidth: 0,
      height: '100%',
      padding: '64px 72px 56px',
      borderTop: `14px solid ${CARD_COLOURS.accent}`,
    },
    [
      el('div', { fontSize: 34, color: CARD_COLOURS.accent, lineClamp: 1, display: 'block' }, card.siteName),
      el(
        'div',
        { fontSize: titleSize(card.title, narrow), fontWeight: 700, lineHeight: 1.2, lineClamp: 4, display: 'block' },
        card.title,
      ),
      el('div', { fontSize: 30, color: CARD_COLOURS.muted }, card.date),
    ],
  );
  const children: CardElement[] = [text];
  if (card.feature) {
    children.push(
      el('img', { width: FEATURE_WIDTH, height: CARD_HEIGHT, flexShrink: 0, objectFit: 'cover' }, undefined, {
        src: card.feature,
        width: FEATURE_WIDTH,
        height: CARD_HEIGHT,
      }),
    );
  }
  return el(
    'div',
    {
      display: 'flex',
      width: CARD_WIDTH,
      height: CARD_HEIGHT,
      background: CARD_COLOURS.bg,
      color: CARD_COLOURS.fg,
      fontFamily: 'Noto Serif',
    },
    children,
  );
}
