import type { NavItem } from '../pages.service.js';

/**
 * One item of another blog's menu, resolved by its reader to what it points at here: an imported
 * page (its slug), a link (a path of this blog or another site's address), or nothing that maps
 * (why, in words for the report).
 */
export type MenuEntry = { label: string; page: string } | { label: string; url: string } | { label: string; leftOut: string };

/** What this blog can show of that menu: pages' positions (Page.navOrder) and links (settings.navLinks). */
export interface MappedMenu {
  /** Page slug → position, 1, 2, … in the old menu's order. */
  positions: Map<string, number>;
  /** Empty: the menu had no link, and the links set here are left as they are. */
  links: NavItem[];
  warnings: string[];
}

/** As many as site settings keep (settings.service.ts validateSettings). */
const MAX_LINKS = 20;
/** The links site settings take (the same rule as validateSettings): http(s), mailto: or a path of this blog. */
const USABLE_URL = /^(https?:\/\/|\/(?![/\\])|mailto:)/i;

/**
 * This blog's menu is its pages in menu order, then the links of its settings (site-context.service.ts):
 * one level, pages first. An old menu maps onto that as far as it can; what does not map, and
 * a changed order, is said.
 */
export function mapMenu(source: string, name: string, entries: MenuEntry[]): MappedMenu {
  const positions = new Map<string, number>();
  const links: NavItem[] = [];
  const leftOut: string[] = [];
  let linkBeforePage = false;
  for (const entry of entries) {
    const label = entry.label.replace(/\s+/g, ' ').trim().slice(0, 100);
    if ('leftOut' in entry) {
      leftOut.push(`"${label || '(no label)'}" (${entry.leftOut})`);
    } else if ('page' in entry) {
      if (positions.has(entry.page)) leftOut.push(`"${label}" (the page is already in the menu)`);
      else positions.set(entry.page, positions.size + 1);
      if (links.length) linkBeforePage = true;
    } else if (!label) {
      leftOut.push(`${entry.url} (no label)`);
    } else if (!USABLE_URL.test(entry.url) || /[\s\p{Cc}]/u.test(entry.url) || entry.url.length > 500) {
      leftOut.push(`"${label}" (${entry.url || 'no address'}: not a link this blog's menu takes)`);
    } else if (links.length >= MAX_LINKS) {
      leftOut.push(`"${label}" (${entry.url}: the menu holds at most ${MAX_LINKS} links)`);
    } else {
      links.push({ label, url: entry.url });
    }
  }
  const warnings: string[] = [];
  const where = `${source}: menu "${name}"`;
  if (linkBeforePage) warnings.push(`${where}: its links now come after its pages (this blog's menu shows pages first).`);
  if (leftOut.length) warnings.push(`${where}: items left out: ${leftOut.join('; ')}.`);
  return { positions, links, warnings };
}
