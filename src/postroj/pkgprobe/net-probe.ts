/**
 * The network check itself, as a program of its own: postroj runs it with the
 * host's node inside the container's network namespace (nsenter --net), so it
 * sees the ports the way the container does and needs no tools in the image.
 * Its entry is net-probe-main.ts.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { oneLine, type NetworkCheck, type NetworkVerdict } from './network-check.js';

export function connectOnce(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise(resolve => {
    const sock = net.connect({ host, port });
    const done = (err?: string) => { sock.destroy(); resolve(err); };
    sock.setTimeout(timeoutMs, () => done('timed out'));
    sock.once('connect', () => done());
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

interface Answer { status: number; location?: string; body: string; url: string }

/** One GET with node:http(s) (fetch refuses "bad ports" such as 6000 or 6667, which services do use). */
function get(url: URL, tlsVerify: boolean, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.get(url, { rejectUnauthorized: tlsVerify, timeout: timeoutMs, headers: { 'user-agent': 'postroj-pkgprobe', accept: '*/*' } }, res => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => { if (size < MAX_BODY) { chunks.push(d); size += d.length; } });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8'), url: url.href }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

const MAX_BODY = 1024 * 1024;
const MAX_REDIRECTS = 10;

async function httpOnce(check: NetworkCheck, timeoutMs: number): Promise<NetworkVerdict> {
  let url = new URL(check.url);
  let res: Answer;
  let hops = 0;
  for (;;) {
    try {
      res = await get(url, check.tlsVerify, timeoutMs);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, detail: `request failed: ${e.code ?? e.message}` };
    }
    if (!check.followRedirects || !res.location || res.status < 300 || res.status > 399 || hops >= MAX_REDIRECTS) break;
    url = new URL(res.location, url);
    hops++;
  }
  const statusOk = check.expectStatus.length ? check.expectStatus.includes(res.status) : res.status >= 200 && res.status < 300;
  const where = hops ? ` (after ${hops} redirect${hops > 1 ? 's' : ''}, at ${res.url})` : '';
  if (!statusOk) {
    const want = check.expectStatus.length ? check.expectStatus.join(' or ') : '2xx';
    const loc = !check.followRedirects && res.location ? ` (Location: ${res.location}; --follow-redirects follows it)` : '';
    return { ok: false, status: res.status, detail: `HTTP ${res.status}${where}, expected ${want}${loc}` };
  }
  if (check.expectBody !== undefined && !res.body.includes(check.expectBody)) {
    return { ok: false, status: res.status, detail: `HTTP ${res.status}${where}, body does not contain "${oneLine(check.expectBody, 40)}": "${oneLine(res.body, 60)}"` };
  }
  return { ok: true, status: res.status, detail: `HTTP ${res.status}${where}${check.expectBody !== undefined ? ', body matches' : ''}` };
}

/** Retry until the port answers (and the HTTP answer is the expected one) or time is up. */
export async function probeNetwork(check: NetworkCheck): Promise<NetworkVerdict> {
  const started = Date.now();
  const deadline = started + check.timeoutMs;
  let last: NetworkVerdict = { ok: false, detail: 'not tried' };
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    const err = await connectOnce(check.host, check.port, Math.min(left, 3000));
    if (err) {
      last = { ok: false, detail: `${check.host}:${check.port} not reachable: ${err}` };
    } else if (check.kind === 'tcp') {
      return { ok: true, detail: `port ${check.port} open after ${((Date.now() - started) / 1000).toFixed(1)}s` };
    } else {
      last = await httpOnce(check, Math.min(left, 10_000));
      // a definite answer is judged at once; only "not yet" (no answer, 5xx while starting) is retried
      if (last.ok || (last.status !== undefined && last.status < 500)) return last;
    }
    if (Date.now() + 250 >= deadline) break;
    await sleep(250);
  }
  return { ...last, detail: `${last.detail} (gave up after ${Math.round(check.timeoutMs / 1000)}s)` };
}
