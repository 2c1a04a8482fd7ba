/** What converting one file's shortcodes needs from the rest of the import. */
export interface ShortcodeContext {
  /** This blog's address of another imported file, by the reference a `ref`/`post_url` gives. */
  resolve(reference: string): string | undefined;
  /** Told each shortcode with no meaning here, by its line in the body (1-based). */
  leftOut(line: number, shortcode: string): void;
}

/** `name="v"`, `name='v'`, `name=v`, and positional `"v"` or `v`, as Hugo and Liquid write them. */
function args(text: string): { named: Record<string, string>; positional: string[] } {
  const named: Record<string, string> = {};
  const positional: string[] = [];
  for (const m of text.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`|(\S+))|"([^"]*)"|'([^']*)'|`([^`]*)`|(\S+)/g)) {
    if (m[1]) named[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? m[5] ?? '';
    else positional.push(m[6] ?? m[7] ?? m[8] ?? m[9]);
  }
  return { named, positional };
}

const mdText = (s: string) => s.replace(/[[\]]/g, '');
const link = (url: string, text: string) => `[${mdText(text)}](${url})`;

/** Hugo's built-in shortcodes and Jekyll's/Eleventy's Liquid tags whose meaning is known. */
function convert(name: string, raw: string, ctx: ShortcodeContext): string | undefined {
  const { named, positional } = args(raw);
  const first = positional[0] ?? '';
  switch (name) {
    case 'ref':
    case 'relref':
    case 'post_url':
    case 'link': {
      const target = named.path ?? first;
      return ctx.resolve(target);
    }
    case 'figure': {
      const src = named.src ?? first;
      if (!src) return '';
      const alt = named.alt ?? named.title ?? named.caption ?? '';
      const caption = [named.title, named.caption].filter(Boolean).join(': ');
      const image = `![${mdText(alt)}](${src.replace(/[()\s]/g, encodeURIComponent)})`;
      return caption ? `${image}\n\n_${caption}_` : image;
    }
    case 'gist': {
      const user = named.user ?? first;
      const id = named.id ?? positional[1];
      return user && id ? link(`https://gist.github.com/${user}/${id}`, `Gist ${user}/${id}`) : '';
    }
    case 'youtube': {
      const id = named.id ?? first;
      return id ? link(`https://www.youtube.com/watch?v=${encodeURIComponent(id)}`, named.title ?? 'Video on YouTube') : '';
    }
    case 'vimeo': {
      const id = named.id ?? first;
      return id ? link(`https://vimeo.com/${encodeURIComponent(id)}`, named.title ?? 'Video on Vimeo') : '';
    }
    case 'tweet':
    case 'x': {
      const id = named.id ?? (positional.length > 1 ? positional[1] : first);
      const user = named.user ?? (positional.length > 1 ? first : 'i');
      return id ? link(`https://x.com/${user}/status/${id}`, `Post on X`) : '';
    }
    case 'instagram': {
      const id = named.id ?? first;
      return id ? link(`https://www.instagram.com/p/${encodeURIComponent(id)}/`, 'Post on Instagram') : '';
    }
    default:
      return undefined;
  }
}

/** Paired shortcodes whose inner text is code: a fenced block. */
const CODE = new Set(['highlight']);

/**
 * Hugo shortcodes (`{{< name … >}}`, `{{% name … %}}`, paired with `{{< /name >}}`) and Liquid
 * tags (`{% name … %}`, `{% endname %}`, Jekyll and Eleventy) in a Markdown body, turned into
 * what they mean: `ref`/`relref`/`post_url`/`link` to this blog's address of the post, `figure`
 * to an image with its caption, `gist`/`youtube`/`vimeo`/`tweet`/`instagram` to a link to the
 * resource, `highlight` to a fenced code block. Any other is left out of the reader's page (a
 * paired one keeps its inner text) and told to `ctx.leftOut` with its line. Fenced code is left
 * alone, and Hugo's escaped form (a comment inside the braces) becomes the literal
 * `{{< x >}}` it stands for.
 */
export function convertShortcodes(body: string, ctx: ShortcodeContext): string {
  const parts = body.split(/(^(?:```|~~~)[^\n]*\n[\s\S]*?^(?:```|~~~)[ \t]*$)/m);
  let line = 1;
  return parts
    .map((part, i) => {
      const start = line;
      line += part.split('\n').length - 1;
      return i % 2 === 1 ? part : convertProse(part, start, ctx);
    })
    .join('')
    .replace(/\{\{([<%])\/\*\s*([\s\S]*?)\s*\*\/([>%])\}\}/g, '{{$1 $2 $3}}');
}

/**
 * One pass over the text (so each match's offset is a line of the file): a paired form first
 * (Hugo's `{{< x >}}…{{< /x >}}`, Liquid's `{% x %}…{% endx %}`), else a single tag.
 */
const SHORTCODE = new RegExp(
  [
    /\{\{[<%]\s*(\w[\w-]*)([^}]*?)\s*[>%]\}\}([\s\S]*?)\{\{[<%]\s*\/\s*\1\s*[>%]\}\}/.source,
    // (As a string: its back-reference names a group of the joined expression.)
    String.raw`\{%-?\s*(\w+)([^%]*?)-?%\}([\s\S]*?)\{%-?\s*end\4\s*-?%\}`,
    /\{\{[<%](?!\/\*)\s*(\w[\w-]*)([^}]*?)\s*[>%]\}\}/.source,
    /\{%-?\s*(\w+)([^%]*?)-?%\}/.source,
  ].join('|'),
  'g',
);

function convertProse(text: string, firstLine: number, ctx: ShortcodeContext): string {
  const lineAt = (index: number) => firstLine + (text.slice(0, index).match(/\n/g)?.length ?? 0);
  return text.replace(SHORTCODE, (...m: unknown[]) => {
    const g = m as (string | undefined)[];
    const offset = m[m.length - 2] as number;
    const paired = g[1] ?? g[4];
    if (paired !== undefined) {
      const name = paired.toLowerCase();
      const inner = (g[3] ?? g[6])!;
      if (CODE.has(name)) {
        const lang = args(g[2] ?? g[5] ?? '').positional[0] ?? '';
        return `\`\`\`${lang}\n${inner.replace(/^\n+|\n+$/g, '')}\n\`\`\``;
      }
      if (name === 'raw') return inner;
      if (name === 'comment') return '';
      ctx.leftOut(lineAt(offset), g[1] ? `{{< ${name} >}}` : `{% ${name} %}`);
      return inner.trim();
    }
    const hugo = g[7];
    const name = (hugo ?? g[9]!).toLowerCase();
    const converted = convert(name, (hugo ? g[8] : g[10]) ?? '', ctx);
    if (converted !== undefined) return converted;
    ctx.leftOut(lineAt(offset), hugo ? `{{< ${name} >}}` : `{% ${name} %}`);
    return '';
  });
}
