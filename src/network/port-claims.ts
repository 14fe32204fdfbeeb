import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { portOwners } from './rules.js';
import { portsClash } from './ports.js';
import type { PortSpec } from '../model/network.js';

/**
 * Host ports published by racker, host-wide (every store root on this host):
 * one claim file per port under RUN_DIR/ports naming the rule table that
 * holds it. Callers hold the host lock (the manager's hostLocked).
 */
export class PortClaims {
  constructor(private readonly runDir: string) {}

  file(p: PortSpec): string {
    return path.join(this.runDir, 'ports', `${p.protocol}-${p.hostPort}-${p.hostIp ?? 'any'}`);
  }

  async write(p: PortSpec, table: string): Promise<void> {
    await writeFile(this.file(p), table + '\n');
  }

  async all(): Promise<{ file: string; table: string; spec: PortSpec }[]> {
    const dir = path.join(this.runDir, 'ports');
    const out: { file: string; table: string; spec: PortSpec }[] = [];
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const m = /^(tcp|udp)-(\d+)-(any|[0-9.]+)$/.exec(f);
      if (!m) continue;
      const table = (await readFile(path.join(dir, f), 'utf8').catch(() => '')).trim();
      out.push({ file: path.join(dir, f), table, spec: { protocol: m[1] as 'tcp' | 'udp', hostPort: Number(m[2]), hostIp: m[3] === 'any' ? undefined : m[3], containerPort: 0 } });
    }
    return out;
  }

  /** Claims whose rules exist; the others (left by a crash) are dropped. */
  async live(): Promise<{ table: string; spec: PortSpec }[]> {
    const tables = await portOwners();
    const live: { table: string; spec: PortSpec }[] = [];
    for (const c of await this.all()) {
      if (tables.has(c.table)) live.push(c);
      else await rm(c.file, { force: true });
    }
    return live;
  }
}

/** A listening socket on the port would be shadowed by the DNAT rule: refuse instead. */
export async function probeFree(p: PortSpec): Promise<void> {
  const host = p.hostIp ?? '0.0.0.0';
  const err = await new Promise<NodeJS.ErrnoException | undefined>(resolve => {
    if (p.protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', e => { s.close(); resolve(e); });
      s.bind(p.hostPort, host, () => s.close(() => resolve(undefined)));
    } else {
      const s = createServer();
      s.once('error', e => resolve(e));
      s.listen(p.hostPort, host, () => s.close(() => resolve(undefined)));
    }
  });
  if (err && isErrno(err, 'EADDRINUSE')) {
    throw new RackerError(`host port ${p.hostPort}/${p.protocol} is already in use on ${host}`, { hint: 'pick another host port with -p HOST:CONTAINER' });
  }
  if (err && isErrno(err, 'EADDRNOTAVAIL')) {
    throw new RackerError(`${host} is not an address of this host`, { hint: 'use one of the addresses ip addr shows, or leave the address out' });
  }
}

/** A port the kernel says is free and no claim holds. */
export async function freePort(protocol: 'tcp' | 'udp', taken: PortSpec[]): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      if (protocol === 'udp') {
        const s = createSocket('udp4');
        s.once('error', reject);
        s.bind(0, '0.0.0.0', () => { const p = s.address().port; s.close(() => resolve(p)); });
      } else {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '0.0.0.0', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
      }
    });
    if (!taken.some(t => t.protocol === protocol && t.hostPort === port)) return port;
  }
  throw new RackerError('found no free host port', { hint: 'give the host port with -p HOST:CONTAINER' });
}


/**
 * The host ports `specs` get: port 0 a free one; each must clash with no
 * live claim, none of the container's own and none of the others asked for,
 * and no listening socket. Callers hold the host lock.
 */
export async function claimablePorts(specs: PortSpec[], claimed: PortSpec[], own: PortSpec[]): Promise<PortSpec[]> {
  const resolved: PortSpec[] = [];
  for (const s of specs) {
    const r = { ...s, hostPort: s.hostPort || await freePort(s.protocol, [...claimed, ...resolved]) };
    const clash = [...claimed, ...own, ...resolved].find(c => portsClash(c, r));
    if (clash) {
      throw new RackerError(`host port ${r.hostPort}/${r.protocol} is already published${clash.hostIp ? ` on ${clash.hostIp}` : ''} by another container`, { hint: 'pick another host port with -p HOST:CONTAINER, or stop the container that has it' });
    }
    await probeFree(r);
    resolved.push(r);
  }
  return resolved;
}
