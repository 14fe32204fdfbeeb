import { randomHex } from '../random.js';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import { shortId } from '../model/image.js';
import { writeFileAtomic } from '../atomic.js';
import { withLock } from '../lock.js';
import type { StoreLayout } from './layout.js';
import type { HealthState, ParityOptions } from '../model/parity.js';
import { type ContainerRecord, type ContainerSpec, validateContainerName } from '../model/container.js';

type StoredSpec = Partial<ContainerSpec> & { mode?: 'app' | 'boot' };

/** A record written by an older racker kept a smaller spec (or none): fill in what it did not keep. */
function upgrade(rec: Omit<ContainerRecord, 'spec'> & { spec?: StoredSpec }): ContainerRecord {
  const s = rec.spec ?? {};
  return {
    ...rec,
    spec: {
      ...s,
      mode: s.mode ?? 'app', image: s.image ?? rec.image, imageName: s.imageName ?? rec.imageName, command: s.command ?? rec.argv,
      env: s.env ?? [], workdir: s.workdir, user: s.user, hostname: s.hostname, volumes: s.volumes ?? [],
      tty: s.tty ?? false, interactive: s.interactive ?? false, name: s.name ?? rec.name, autoRemove: s.autoRemove ?? rec.autoRemove,
      stopTimeout: s.stopTimeout ?? 10, bootTimeout: s.bootTimeout ?? 60,
    },
  };
}

export class ContainerStore {
  constructor(private readonly layout: StoreLayout) {}

  dir(id: string): string {
    if (!/^[a-f0-9]{64}$/.test(id)) throw new RackerError(`invalid container id '${id.slice(0, 80)}'`);
    return path.join(this.layout.containersDir, id);
  }

  /** The mark of the process that runs the container now (runtime/container-processes.ts). */
  supervisionMark(id: string): string {
    this.dir(id);
    return path.join(this.layout.supervisorDir, id);
  }

  get supervisorDir(): string { return this.layout.supervisorDir; }

  async list(): Promise<ContainerRecord[]> {
    const ids = await readdir(this.layout.containersDir).catch(err => {
      if (isErrno(err, 'ENOENT')) return [] as string[];
      throw err;
    });
    const out: ContainerRecord[] = [];
    for (const id of ids) {
      if (!/^[a-f0-9]{64}$/.test(id)) continue;
      const rec = await this.read(id);
      if (rec) out.push(rec);
    }
    return out;
  }

  async read(id: string): Promise<ContainerRecord | undefined> {
    try {
      return upgrade(JSON.parse(await readFile(path.join(this.dir(id), 'config.json'), 'utf8')) as ContainerRecord);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async write(rec: ContainerRecord): Promise<void> {
    // a --rm container does not outlive its run, nor a crash of the host: its record need not reach the disk
    const dir = this.dir(rec.id);
    await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(rec, null, 2), dir, { durable: !rec.autoRemove });
  }

  /** Create a container for `spec` on the image's `layers`, in state created. */
  async create(spec: ContainerSpec, layers: string[]): Promise<ContainerRecord> {
    await this.layout.ensure();
    return withLock(this.layout.lock('containers'), async () => {
      const id = randomHex(32);
      const name = spec.name ?? `racker-${shortId(id)}`;
      validateContainerName(name);
      const clash = (await this.list()).find(c => c.name === name);
      if (clash) {
        throw new RackerError(`the container name "${name}" is already in use by container ${shortId(clash.id)}`, { hint: `remove that container (racker rm ${name}) or choose another --name` });
      }
      const rec: ContainerRecord = {
        id, name, image: spec.image, imageName: spec.imageName, layers, argv: spec.command, created: new Date().toISOString(),
        autoRemove: spec.autoRemove, spec: { ...spec, name }, state: { status: 'created' },
      };
      await mkdir(this.dir(id), { recursive: true, mode: 0o700 });
      await this.write(rec);
      return rec;
    });
  }

  /** By exact name, full id, or unique id prefix (docker's rules). */
  async find(nameOrId: string): Promise<ContainerRecord | undefined> {
    const all = await this.list();
    const byName = all.find(c => c.name === nameOrId);
    if (byName) return byName;
    if (!/^[a-f0-9]{1,64}$/.test(nameOrId)) return undefined;
    const matches = all.filter(c => c.id.startsWith(nameOrId));
    if (matches.length > 1) throw new RackerError(`container id prefix '${nameOrId}' is ambiguous`, { hint: 'give more digits or the name' });
    return matches[0];
  }

  async get(nameOrId: string): Promise<ContainerRecord> {
    const rec = await this.find(nameOrId);
    if (!rec) throw new RackerError(`No such container: ${nameOrId}`, { hint: 'racker ps -a lists containers' });
    return rec;
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
    // a mark a killed supervisor left
    await rm(this.supervisionMark(id), { force: true });
  }
}
