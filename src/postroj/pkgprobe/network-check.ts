import { RackerError } from '../../errors.js';

/** One `--check-network` target and what its answer must be. */
export interface NetworkCheck {
  url: string;
  kind: 'tcp' | 'http';
  host: string;
  port: number;
  /** statuses that pass; empty: any 2xx */
  expectStatus: number[];
  expectBody?: string;
  followRedirects: boolean;
  tlsVerify: boolean;
  timeoutMs: number;
}

export interface NetworkVerdict { ok: boolean; detail: string; status?: number }

export function parseNetworkCheck(spec: string, opts: Omit<NetworkCheck, 'url' | 'kind' | 'host' | 'port'>): NetworkCheck {
  let url: URL;
  try { url = new URL(spec); } catch {
    throw new RackerError(`invalid --check-network '${spec.slice(0, 100)}'`, { hint: 'use tcp://HOST:PORT or http(s)://HOST:PORT/PATH' });
  }
  const kind = url.protocol === 'tcp:' ? 'tcp' : (url.protocol === 'http:' || url.protocol === 'https:') ? 'http' : undefined;
  if (!kind) throw new RackerError(`unsupported --check-network scheme '${url.protocol}' in ${spec}`, { hint: 'use tcp://HOST:PORT or http(s)://HOST:PORT/PATH' });
  const defaultPort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : NaN;
  const port = url.port ? Number(url.port) : defaultPort;
  if (!url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RackerError(`--check-network ${spec} needs a host and a port`, { hint: 'e.g. tcp://localhost:8080' });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: url.href, kind, host, port, ...opts };
}

export function parseExpectStatus(values: string[]): number[] {
  return values.flatMap(v => v.split(',')).map(v => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 100 || n > 599) throw new RackerError(`invalid --expect-status '${v}'`, { hint: 'an HTTP status code such as 200' });
    return n;
  });
}

/** A short, single-line view of text for a report's detail column. */
export function oneLine(text: string, max = 80): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
