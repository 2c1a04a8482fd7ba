import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

import Handlebars from 'handlebars';

import { helpers } from './helpers.js';
import { COMPILE_OPTIONS, type PrecompiledViews } from './precompiled.js';

type Template = Handlebars.TemplateDelegate;
type RenderCallback = (err: Error | null, html?: string) => void;

export interface ViewOptions {
  /** Layout in views/layouts; false renders the template alone (feeds, XML). */
  layout?: string | false;
  [key: string]: unknown;
}

/**
 * An Express view engine on a private Handlebars instance: partials and helpers registered once,
 * templates compiled once, layouts by name. `{{ }}` escapes; `{{{ }}}` is kept for HTML that was
 * sanitized at save.
 */
export function createViewEngine(viewsDir: string, precompiled?: PrecompiledViews) {
  const hbs = Handlebars.create();
  hbs.registerHelper(helpers);
  if (precompiled) {
    for (const [name, spec] of Object.entries(precompiled.partials)) hbs.registerPartial(name, hbs.template(spec));
  } else {
    for (const file of readdirSync(join(viewsDir, 'partials'))) {
      if (file.endsWith('.hbs'))
        hbs.registerPartial(basename(file, '.hbs'), readFileSync(join(viewsDir, 'partials', file), 'utf8'));
    }
  }
  const compiled = new Map<string, Template>();
  const load = (file: string): Template => {
    let template = compiled.get(file);
    if (!template) {
      const spec = precompiled?.templates[relative(viewsDir, file).split(sep).join('/')];
      template = spec ? hbs.template(spec) : hbs.compile(readFileSync(file, 'utf8'), COMPILE_OPTIONS);
      compiled.set(file, template);
    }
    return template;
  };

  return function render(file: string, options: ViewOptions, callback: RenderCallback): void {
    try {
      const body = load(file)(options);
      const layout = options.layout === undefined ? 'main' : options.layout;
      if (!layout) return callback(null, body);
      callback(null, load(join(viewsDir, 'layouts', `${layout}.hbs`))({ ...options, body }));
    } catch (err) {
      const error = err as Error;
      error.message = `Rendering ${relative(viewsDir, file)} failed: ${error.message}`;
      callback(error);
    }
  };
}
