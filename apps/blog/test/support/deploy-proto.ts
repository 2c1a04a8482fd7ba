/**
 * cloudbuild.yaml is the JSON form of the `google.devtools.cloudbuild.v1.Build` message. This loads
 * that message from the proto shipped in @google-cloud/cloudbuild and converts a parsed
 * cloudbuild.yaml into it, reporting what protobufjs would silently drop or mistype: keys that
 * are not fields, enum names that do not exist, durations that are not "<n>s" strings.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import protobuf from 'protobufjs';

const requireHere = createRequire(import.meta.url);

/** Include paths: the package's protos, plus google-gax's for google/api, google/longrunning, google/protobuf. */
function protoIncludes(): string[] {
  const cloudbuild = dirname(requireHere.resolve('@google-cloud/cloudbuild/package.json'));
  // google-gax does not export its package.json: resolve its main file from cloudbuild's side and walk up.
  let gax = dirname(createRequire(join(cloudbuild, 'package.json')).resolve('google-gax'));
  while (!existsSync(join(gax, 'package.json'))) gax = dirname(gax);
  return [join(cloudbuild, 'build', 'protos'), join(gax, 'build', 'protos')];
}

export function loadBuildType(): protobuf.Type {
  const includes = protoIncludes();
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    for (const dir of includes) if (existsSync(join(dir, target))) return join(dir, target);
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync('google/devtools/cloudbuild/v1/cloudbuild.proto', { keepCase: false });
  root.resolveAll();
  return root.lookupType('google.devtools.cloudbuild.v1.Build');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Proto3 JSON duration: "600s", "1.5s". */
const DURATION = /^(-?\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Converts the YAML object to a protobufjs-ready plain object (enum names to numbers, durations to
 * {seconds, nanos}) and lists every key that is not a field of its message. Proto3 JSON accepts
 * both the lowerCamel and the original snake_case field names, so `wait_for` is taken as `waitFor`.
 */
export function toBuildMessage(type: protobuf.Type, yaml: unknown): { message: Obj; problems: string[] } {
  const problems: string[] = [];

  const value = (field: protobuf.Field, v: unknown, path: string): unknown => {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return message(rt, v, path);
    if (rt instanceof protobuf.Enum) {
      if (typeof v === 'string') {
        if (v in rt.values) return rt.values[v];
        problems.push(`${path}: "${v}" is not one of ${Object.keys(rt.values).join(', ')}`);
      }
      return v;
    }
    return v; // scalars: Build.verify checks their types
  };

  const message = (t: protobuf.Type, v: unknown, path: string): unknown => {
    if (t.fullName === '.google.protobuf.Duration') {
      const m = typeof v === 'string' ? DURATION.exec(v) : null;
      if (!m) {
        problems.push(`${path}: a duration is a string of seconds like "600s", got ${JSON.stringify(v)}`);
        return v;
      }
      return { seconds: Number(m[1]), nanos: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
    }
    if (!isObj(v)) {
      problems.push(`${path}: expected a ${t.name} object, got ${JSON.stringify(v)}`);
      return v;
    }
    const out: Obj = {};
    for (const [key, raw] of Object.entries(v)) {
      const name = camel(key);
      const field = t.fields[name];
      if (!field) {
        problems.push(`${path}.${key}: not a field of ${t.name}`);
        continue;
      }
      const where = `${path}.${key}`;
      if (field.map) {
        if (!isObj(raw)) problems.push(`${where}: expected a map`);
        else out[name] = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, value(field, x, `${where}.${k}`)]));
      } else if (field.repeated) {
        if (!Array.isArray(raw)) problems.push(`${where}: expected a list`);
        else out[name] = raw.map((x, i) => value(field, x, `${where}[${i}]`));
      } else {
        out[name] = value(field, raw, where);
      }
    }
    return out;
  };

  const converted = message(type, yaml, 'build');
  const msg = isObj(converted) ? converted : {};
  const verified = type.verify(msg);
  if (verified) problems.push(`Build.verify: ${verified}`);
  return { message: msg, problems };
}
