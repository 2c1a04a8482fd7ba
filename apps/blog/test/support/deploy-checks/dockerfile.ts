/** The Dockerfile: a small parser, and the image's rules (Node 24 slim, production modules, non-root, start.sh). */
import { posix } from 'node:path';

import type { RepoView } from './build-context.js';
import { SECRETISH } from './secret-names.js';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/**
 * Instructions of a Dockerfile: comments, parser directives and blank lines dropped, `\`
 * continuations joined (comment lines inside a continuation are dropped, as Docker does).
 * Heredocs are not supported (none in use; the lint test would catch a malformed one).
 */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, ' ');
      return;
    }
    buf += raw;
    const m = /^(\S+)\s*([\s\S]*)$/.exec(buf.trim());
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
    buf = '';
  });
  return out;
}

export interface Stage {
  index: number;
  base: string;
  name?: string;
  instructions: Instruction[];
}

export function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ index: stages.length, base: words[0], name: as > 0 ? words[as + 1] : undefined, instructions: [] });
    } else stages.at(-1)?.instructions.push(ins);
  }
  return stages;
}

/** Leading `--flag=value` options and the remaining words (JSON array form understood). */
export function flagsAndWords(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags[m[1]] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  if (rest.startsWith('[')) {
    try {
      return { flags, words: (JSON.parse(rest) as unknown[]).map(String) };
    } catch {
      // not valid JSON: Docker then takes it as shell form
    }
  }
  return { flags, words: rest.split(/\s+/).filter(Boolean) };
}

/** `ENV A=1 B="x y"` and the legacy `ENV A 1`. */
export function envPairs(args: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(args);
    return m ? [[m[1], m[2]]] : [[args, '']];
  }
  const pairs: [string, string][] = [];
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    pairs.push([m[1], m[2].replace(/^(["'])([\s\S]*)\1$/, '$2')]);
  }
  return pairs;
}

const BUILDKIT_FLAGS = ['chmod', 'link', 'parents', 'exclude', 'mount', 'network', 'security', 'checksum', 'keep-git-dir'];

/** BuildKit-only syntax in a Dockerfile: the legacy builder (plain `docker build`) rejects it. */
export function buildkitFeatures(dockerfile: string): string[] {
  const found: string[] = [];
  for (const ins of parseDockerfile(dockerfile)) {
    if (!['COPY', 'ADD', 'RUN'].includes(ins.keyword)) continue;
    const { flags } = flagsAndWords(ins.args);
    for (const f of Object.keys(flags)) if (BUILDKIT_FLAGS.includes(f)) found.push(`line ${ins.line}: ${ins.keyword} --${f}`);
    if (/<<-?\s*["']?[A-Za-z_]+/.test(ins.args)) found.push(`line ${ins.line}: heredoc`);
  }
  return found;
}

export function dockerfileProblems(dockerfile: string, repo: RepoView): string[] {
  const p: string[] = [];
  const stages = stagesOf(parseDockerfile(dockerfile));
  const byRef = (ref: string) => stages.find((s) => s.name === ref || String(s.index) === ref);

  // Node 24 LTS, slim, multi-stage.
  if (stages.length < 2) p.push(`expected a multi-stage build, found ${stages.length} stage(s)`);
  for (const s of stages) {
    let base: string | undefined = s.base;
    for (let hops = 0; base && byRef(base) && hops < 10; hops++) base = byRef(base)?.base;
    if (!/^node:24-slim(@sha256:[0-9a-f]{64})?$/.test(base ?? ''))
      p.push(`stage ${s.name ?? s.index} is FROM ${s.base}, not node:24-slim`);
  }
  const final = stages.at(-1);
  if (!final) return [...p, 'no FROM'];
  const ins = (stage: Stage, kw: string) => stage.instructions.filter((i) => i.keyword === kw);

  // Workdir and COPY destinations of the final stage (absolute paths in the image).
  let workdir = '/';
  const dests = new Map<string, { source: string; from?: string; chmod?: string }>();
  for (const i of final.instructions) {
    if (i.keyword === 'WORKDIR') workdir = posix.resolve(workdir, i.args);
    if (i.keyword === 'COPY' || i.keyword === 'ADD') {
      const { flags, words } = flagsAndWords(i.args);
      const dest = words.at(-1) ?? '';
      const sources = words.slice(0, -1);
      for (const src of sources) {
        const into = dest.endsWith('/') || sources.length > 1;
        const target = posix.resolve(workdir, into ? posix.join(dest, posix.basename(src)) : dest);
        dests.set(target, { source: src, from: flags.from, chmod: flags.chmod });
      }
    }
  }

  // Production node_modules only.
  const modules = [...dests.entries()].find(
    ([target, d]) => d.from && /(^|\/)node_modules\/?$/.test(d.source) && target.endsWith('node_modules'),
  );
  if (!modules) p.push('the final stage does not COPY node_modules from a build stage');
  else {
    const from = byRef(modules[1].from ?? '');
    const pruned = from && ins(from, 'RUN').some((r) => /npm\s+(prune|ci)\b[^&|;]*--omit[= ]dev/.test(r.args));
    if (!pruned)
      p.push(`node_modules comes from stage ${modules[1].from}, which never runs npm prune --omit=dev (or npm ci --omit=dev)`);
  }

  // Litestream from the npm package, not a download.
  if (!/node_modules\/@flydotio\/litestream-linux-x64\//.test(dockerfile))
    p.push('the Litestream binary does not come from node_modules/@flydotio/litestream-linux-x64');
  if (/(curl|wget)\b[^\n]*litestream|ADD\s+https?:/i.test(dockerfile))
    p.push('the Dockerfile downloads something (Litestream must come from the npm package)');

  // Non-root user.
  const user = ins(final, 'USER').at(-1)?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') p.push(`the final stage runs as ${user ?? 'root (no USER)'}`);

  // Environment.
  const env = Object.fromEntries(ins(final, 'ENV').flatMap((e) => envPairs(e.args)));
  if (env.NODE_ENV !== 'production') p.push(`ENV NODE_ENV must be production, got ${JSON.stringify(env.NODE_ENV)}`);
  if (env.PORT !== '8080') p.push(`ENV PORT must be 8080, got ${JSON.stringify(env.PORT)}`);
  if (!env.DATABASE_PATH?.startsWith('/'))
    p.push(`ENV DATABASE_PATH must be an absolute path, got ${JSON.stringify(env.DATABASE_PATH)}`);
  else {
    const dir = posix.dirname(env.DATABASE_PATH);
    const owned = ins(final, 'RUN').some((r) =>
      new RegExp(`chown\\s+(-R\\s+)?${user}(:\\S+)?\\s+[^&;|]*${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).test(r.args),
    );
    if (!owned) p.push(`${dir} (DATABASE_PATH's directory) is not chowned to ${user}: the database cannot be written`);
  }
  for (const s of stages) {
    for (const i of [...ins(s, 'ENV'), ...ins(s, 'ARG')]) {
      const pairs = i.keyword === 'ARG' ? [i.args.split('=') as [string, string?]] : envPairs(i.args);
      for (const [k, v] of pairs)
        if (SECRETISH.test(k.toUpperCase()) && v)
          p.push(`line ${i.line}: ${i.keyword} ${k} bakes a secret-looking value into the image`);
    }
  }

  // Paths start.sh uses exist in the image.
  for (const name of ['LITESTREAM_CONFIG', 'LITESTREAM_BIN']) {
    const path = env[name] ?? repo.startDefaults[name];
    if (!path || !dests.has(path)) p.push(`${name}=${path} (start.sh) is not a file the final stage copies in`);
  }
  const appDir = env.APP_DIR ?? repo.startDefaults.APP_DIR;
  if (appDir !== workdir) p.push(`APP_DIR ${appDir} (start.sh) is not the WORKDIR ${workdir}`);

  // Exec-form CMD running scripts/start.sh, present and executable.
  const cmd = ins(final, 'CMD').at(-1);
  const cmdWords = ((): unknown => {
    try {
      return cmd ? JSON.parse(cmd.args) : undefined;
    } catch {
      return undefined; // shell form
    }
  })();
  if (!Array.isArray(cmdWords)) p.push(`CMD must be exec form (a JSON array), got ${cmd?.args ?? 'none'}`);
  else {
    const script = cmdWords.map(String).find((w) => w.endsWith('scripts/start.sh'));
    if (!script) p.push(`CMD ${cmd?.args} does not run scripts/start.sh`);
    else {
      const copied = dests.get(posix.resolve(workdir, script));
      if (!copied || copied.from || copied.source.replace(/^\.\//, '') !== 'scripts/start.sh')
        p.push(`CMD runs ${script}, which is not scripts/start.sh copied from the repo`);
      else if (!(copied.chmod && /[1357]/.test(copied.chmod)) && !repo.executable('scripts/start.sh'))
        p.push('scripts/start.sh is not executable in the image');
    }
  }
  if (ins(final, 'ENTRYPOINT').some((e) => !e.args.startsWith('['))) p.push('a shell-form ENTRYPOINT would not forward signals');

  // Every COPY source exists and survives .dockerignore; --from names a stage.
  for (const s of stages) {
    for (const i of [...ins(s, 'COPY'), ...ins(s, 'ADD')]) {
      const { flags, words } = flagsAndWords(i.args);
      if (flags.from) {
        if (!byRef(flags.from) && !flags.from.includes(':')) p.push(`line ${i.line}: COPY --from=${flags.from} names no stage`);
        continue;
      }
      for (const raw of words.slice(0, -1)) {
        const src = posix.normalize(raw).replace(/^\.\//, '').replace(/\/$/, '');
        if (!repo.exists(src)) p.push(`line ${i.line}: ${raw} does not exist in the repository`);
        else if (repo.ignored(src)) p.push(`line ${i.line}: ${raw} is excluded by .dockerignore`);
        else if (repo.isDir(src) && !repo.files(src).some((f) => !repo.ignored(f)))
          p.push(`line ${i.line}: everything in ${raw} is excluded by .dockerignore`);
      }
    }
  }
  return p;
}
