/** Reading the deploy files' YAML as their real readers do, and walking what it gives. */
import { parse } from 'yaml';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObj(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}
export const clone = <T>(v: T): T => structuredClone(v);

/** YAML 1.1 floats as PyYAML and Go read them: a digit is required, so a lone `.` (docker's context) stays a string. */
const STRICT_FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

/**
 * YAML 1.1, the way gcloud (Python) and Go's yaml.v2 (Cloud Build, Litestream) read these files:
 * there `yes`, `on` and `true` are booleans, and `1` a number, whatever the 1.2 spec says. The
 * `yaml` package's 1.1 float also takes a bare `.` (as NaN), which those readers do not.
 */
export function parseYaml(text: string): unknown {
  return parse(text, {
    version: '1.1',
    customTags: (tags) =>
      tags.map((t) =>
        typeof t === 'object' && 'test' in t && t.tag === 'tag:yaml.org,2002:float' && t.test?.test('.')
          ? { ...t, test: STRICT_FLOAT }
          : t,
      ),
  });
}

/** Every string value in a parsed document, with its path. */
export function strings(v: unknown, path = ''): { path: string; value: string }[] {
  if (typeof v === 'string') return [{ path, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
  return [];
}

/** Replaces `from` in `text`, failing loudly if it is not there (a mutation that does nothing proves nothing). */
export function mutate(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`mutation did not apply: ${String(from)}`);
  return out;
}
