import { RackerError, isErrno } from '../errors.js';
import { readEnvFileText } from '../engine/flags.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

/**
 * A dotenv file as docker compose reads `.env`, `--env-file` and a service's
 * `env_file`: `KEY=VALUE` lines, `#` comments and blank lines skipped, an
 * optional `export ` prefix; 'single quotes' are literal, "double quotes"
 * know \n \t \" \\ and are interpolated like an unquoted value, against the
 * lines above and then `outer`. A line `KEY` alone takes KEY from `outer`.
 */
export function parseEnvFile(text: string, file: string, outer: Lookup = () => undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  const lookup: Lookup = name => (Object.hasOwn(vars, name) ? vars[name] : outer(name));
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new RackerError(`${file}:${n + 1}: invalid variable name '${key.slice(0, 80)}'`, { hint: 'each line is KEY=VALUE (letters, digits and _ in KEY)' });
    }
    if (eq < 0) {
      const v = outer(key);
      if (v !== undefined) vars[key] = v;
      continue;
    }
    let raw = body.slice(eq + 1).trim();
    try {
      if (raw.startsWith("'")) {
        const end = raw.indexOf("'", 1);
        if (end < 0) throw new InterpolationError('unterminated single quote');
        vars[key] = raw.slice(1, end);
      } else if (raw.startsWith('"')) {
        // a double-quoted value may span lines
        while (!/(^|[^\\])(\\\\)*"$/.test(raw.slice(1)) && n + 1 < lines.length) raw += '\n' + lines[++n];
        if (!raw.endsWith('"') || raw.length < 2) throw new InterpolationError('unterminated double quote');
        const unescaped = raw.slice(1, -1).replace(/\\([nt"\\$])/g, (_, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\', $: '$$' })[c]!);
        vars[key] = interpolate(unescaped, lookup);
      } else {
        // an unquoted value ends at ' #'
        vars[key] = interpolate(raw.replace(/\s+#.*$/, ''), lookup);
      }
    } catch (err) {
      if (err instanceof InterpolationError) throw new RackerError(`${file}:${n + 1}: ${key}: ${err.message}`, { hint: "quote the value in single quotes to take it literally" });
      throw err;
    }
  }
  return vars;
}

/**
 * Read one env file (.env, --env-file, env_file:) by the --env-file rule: a
 * regular file or a pipe, at most 1 MiB; a missing optional one is {}.
 */
export function readEnvFile(file: string, required: boolean, outer?: Lookup): Record<string, string> {
  let text: string;
  try {
    text = readEnvFileText(file);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (isErrno(cause, 'ENOENT') && !required) return {};
    if (isErrno(cause, 'ENOENT')) throw new RackerError(`env file ${file} not found`, { hint: 'create it, fix the path, or mark it `required: false`' });
    throw err;
  }
  return parseEnvFile(text, file, outer);
}
