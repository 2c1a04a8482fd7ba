import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CARD_COLOURS } from '@app/content';

import { PUBLIC_DIR } from '../paths.js';

/** The social card is drawn in the theme's light colours: the same values as site.css's `:root`. */
describe('social card colours', () => {
  it('are the light theme’s --bg, --fg, --muted and --accent', () => {
    const css = readFileSync(join(PUBLIC_DIR, 'css', 'site.css'), 'utf8');
    const root = /:root\s*\{([^}]*)\}/.exec(css)![1];
    const value = (name: string) => new RegExp(`--${name}:\\s*(#[0-9a-f]{3,8})`, 'i').exec(root)?.[1].toLowerCase();
    expect({ bg: value('bg'), fg: value('fg'), muted: value('muted'), accent: value('accent') }).toEqual(CARD_COLOURS);
  });
});
