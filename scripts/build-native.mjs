// npm run build: racker's small native helpers. A few things racker must do
// between fork and exec of a process it starts in a container (join the
// container's cgroups and namespaces, take its capabilities and seccomp filter)
// or that need a system call Node does not offer (loading a cgroup device
// program) cannot be done from Node: each src/native/NAME.c is compiled to
// dist/native/NAME with the system's C compiler (gcc, installed by
// scripts/bootstrap). docs/architecture.md ("Native helpers") says why.
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(REPO, 'src/native');
const OUT = path.join(REPO, 'dist/native');
const CC = process.env.CC || 'cc';

await mkdir(OUT, { recursive: true });
const sources = (await readdir(SRC).catch(() => [])).filter(f => f.endsWith('.c')).sort();
for (const file of sources) {
  const src = path.join(SRC, file);
  const out = path.join(OUT, file.slice(0, -2));
  const fresh = await Promise.all([stat(src), stat(out).catch(() => undefined)]).then(([s, o]) => o && o.mtimeMs >= s.mtimeMs);
  if (fresh) continue;
  const r = spawnSync(CC, ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-D_FORTIFY_SOURCE=2', '-fstack-protector-strong', '-o', out, src], { stdio: 'inherit' });
  if (r.error) {
    console.error(`build-native: cannot run ${CC} (${r.error.message}): install gcc (scripts/bootstrap does)`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}
