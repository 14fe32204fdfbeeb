/**
 * The image config is checked once, where it enters racker (a pull) and where
 * it leaves the store (an image stored before this check existed), so that no
 * later code meets an Env that is a string or a Cmd that is an object.
 * Absent and null fields are fine, as OCI allows; anything else must have the
 * type racker uses it as.
 */

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const string: Check = v => typeof v === 'string';
const strings: Check = v => Array.isArray(v) && v.every(x => typeof x === 'string');
const object: Check = isObject;
const stringMap: Check = v => isObject(v) && Object.values(v).every(x => typeof x === 'string');

const EXPECTED = new Map<Check, string>([
  [string, 'a string'], [strings, 'a list of strings'], [object, 'an object'], [stringMap, 'an object of strings'],
]);

/** config.* fields racker reads (or shows in inspect), with the type each must have */
const CONFIG_FIELDS: Record<string, Check> = {
  User: string, Env: strings, Entrypoint: strings, Cmd: strings, WorkingDir: string,
  Labels: stringMap, StopSignal: string, ExposedPorts: object, Volumes: object, Healthcheck: object,
};
const TOP_FIELDS: Record<string, Check> = { created: string, architecture: string, os: string, variant: string };

function kind(v: unknown): string {
  if (Array.isArray(v)) return v.every(x => typeof x === 'string') ? 'a list' : 'a list with non-strings in it';
  if (isObject(v)) return 'an object';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v;
}

function problem(field: string, value: unknown, check: Check): string | undefined {
  if (value === undefined || value === null || check(value)) return undefined;
  return `${field} is ${kind(value)}, not ${EXPECTED.get(check)}`;
}

/** What is wrong with a parsed image config, naming the field; undefined when nothing is. */
export function imageConfigProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return 'it is not a JSON object';
  for (const [field, check] of Object.entries(TOP_FIELDS)) {
    const p = problem(field, doc[field], check);
    if (p) return p;
  }
  const config = doc.config;
  if (config !== undefined && config !== null) {
    if (!isObject(config)) return `config is ${kind(config)}, not an object`;
    for (const [field, check] of Object.entries(CONFIG_FIELDS)) {
      const p = problem(`config.${field}`, config[field], check);
      if (p) return p;
    }
  }
  const rootfs = doc.rootfs;
  if (rootfs !== undefined && rootfs !== null) {
    if (!isObject(rootfs)) return `rootfs is ${kind(rootfs)}, not an object`;
    const p = problem('rootfs.diff_ids', rootfs.diff_ids, strings);
    if (p) return p;
  }
  return undefined;
}

