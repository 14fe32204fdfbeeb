import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RackerError, isErrno } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { ServiceFile } from './service-spec.js';
import type { FileSource, Project, ServiceConfig } from './types.js';
import { containerName } from './naming.js';

/**
 * A container's secrets and configs on the host: one file each, written by
 * racker under <root>/compose-files/<project>/<container>/ (folders 0700,
 * root's), and bound read-only into the container by its spec. Nothing goes
 * into the image or the container's writable layer; `down` and `rm` remove
 * the files with the container.
 */

/** secrets are small; a bigger "secret" is a mistake (docker's swarm takes 500 KB) */
const MAX_BYTES = 1024 * 1024;

export function projectFilesDir(engine: Engine, project: string): string {
  return path.join(engine.settings.root, 'compose-files', project);
}

/** The folder of one container's files (its name: unique while it exists). */
export function filesDir(engine: Engine, project: Project, service: ServiceConfig, n: number, name = containerName(project.name, service, n)): string {
  return path.join(projectFilesDir(engine, project.name), name);
}

async function readSource(what: string, file: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RackerError(`${what}: file ${file} not found`, { hint: 'create the file, or change file: in the top-level section' });
    throw new RackerError(`${what}: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new RackerError(`${what}: ${file} is not a regular file`);
    if (st.size > MAX_BYTES) throw new RackerError(`${what}: ${file} is larger than 1 MiB`, { hint: 'a secret or config is a small file; mount big ones with volumes:' });
    const buf = Buffer.alloc(MAX_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_BYTES) throw new RackerError(`${what}: ${file} is larger than 1 MiB`);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The content of a secret or config; a missing source is one line naming the service and the secret. */
export async function contentOf(project: Project, what: string, source: FileSource): Promise<Buffer> {
  if ('file' in source) return readSource(what, source.file);
  if ('environment' in source) {
    const v = project.environment[source.environment];
    if (v === undefined) throw new RackerError(`${what}: the environment variable ${source.environment} is not set`, { hint: `set ${source.environment} in the shell or in .env` });
    return Buffer.from(v);
  }
  return Buffer.from(source.content);
}

/** Write the files of one container (again), each replaced whole, owner and mode as the service asks. */
export async function writeServiceFiles(project: Project, service: ServiceConfig, files: ServiceFile[]): Promise<void> {
  for (const f of files) {
    const kind = f.kind === 'secret' ? 'secrets' : 'configs';
    const what = `service "${service.name}": ${f.kind} "${f.ref.source}"`;
    const source = project[kind][f.ref.source];
    if (!source) throw new RackerError(`${what} is not defined in the top-level ${kind}`);
    const data = await contentOf(project, what, source);
    const dir = path.dirname(f.hostPath);
    // root-only all the way down: <root>/compose-files is 0700
    for (const d of [path.dirname(path.dirname(path.dirname(dir))), path.dirname(path.dirname(dir)), path.dirname(dir), dir]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
      await chmod(d, 0o700);
    }
    const tmp = `${f.hostPath}.${process.pid}.tmp`;
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      await fh.writeFile(data);
      await fh.chown(f.ref.uid ?? 0, f.ref.gid ?? 0);
      await fh.chmod(f.ref.mode ?? 0o444);
    } finally {
      await fh.close();
    }
    await rename(tmp, f.hostPath);
  }
}

export async function removeServiceFiles(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** After a container is removed: its files go too. */
export async function removeContainerFiles(engine: Engine, project: string, name: string): Promise<void> {
  await removeServiceFiles(path.join(projectFilesDir(engine, project), name));
}

/** `down`: the files of every container of the project that is gone (also one removed with racker rm). */
export async function pruneProjectFiles(engine: Engine, project: string, keep: string[]): Promise<void> {
  const dir = projectFilesDir(engine, project);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (!keep.includes(n)) await rm(path.join(dir, n), { recursive: true, force: true });
  if (names.every(n => !keep.includes(n))) await rm(dir, { recursive: true, force: true });
}
