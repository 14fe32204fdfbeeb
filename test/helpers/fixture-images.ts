import { readFileSync } from 'node:fs';
import { buildLayer, type TarEntry, type BuiltLayer } from './tar-builder.js';
import type { ImageSpec } from './oci-layout.js';

/** busybox applets the tests use; each is a symlink to the static binary */
const APPLETS = ['sh', 'cat', 'echo', 'ls', 'true', 'false', 'sleep', 'id', 'env', 'pwd', 'hostname', 'test', 'stat', 'readlink', 'touch', 'mkdir', 'rm', 'wc', 'head', 'grep', 'kill', 'trap', 'printf', 'tty', 'stty', 'seq', 'uname', 'md5sum', 'find', 'mount'];

/** A busybox image built from Debian's busybox-static: no /usr, like the real one. */
export function busyboxLayer(): BuiltLayer {
  const bin = readFileSync('/bin/busybox');
  const entries: TarEntry[] = [
    { type: 'dir', name: 'bin/' },
    { type: 'file', name: 'bin/busybox', body: bin, mode: 0o755 },
    ...APPLETS.map(a => ({ type: 'symlink' as const, name: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', name: 'etc/' },
    { type: 'file', name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' },
    { type: 'file', name: 'etc/group', body: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'dir', name: 'root/', mode: 0o700 },
    { type: 'dir', name: 'tmp/', mode: 0o1777 },
    { type: 'dir', name: 'home/' },
  ];
  return buildLayer(entries);
}

export function busyboxImage(): ImageSpec {
  return { layers: [busyboxLayer()], config: { Cmd: ['sh'] }, tag: 'latest' };
}

/**
 * Three layers over busybox exercising what layer stacking must get right:
 * whiteouts, an opaque directory, hardlinks, modes and owners.
 */
export function multiLayerImage(): ImageSpec {
  const base = busyboxLayer();
  const l2 = buildLayer([
    { type: 'dir', name: 'data/' },
    { type: 'file', name: 'data/keep.txt', body: 'keep\n' },
    { type: 'file', name: 'data/gone.txt', body: 'to be deleted\n' },
    { type: 'dir', name: 'data/old/' },
    { type: 'file', name: 'data/old/a.txt', body: 'old a\n' },
    { type: 'dir', name: 'data/opaque/' },
    { type: 'file', name: 'data/opaque/hidden.txt', body: 'hidden by opaque\n' },
    { type: 'file', name: 'data/owned.txt', body: 'owned\n', uid: 1000, gid: 1000, mode: 0o640 },
    { type: 'file', name: 'data/setuid', body: '#!/bin/sh\n', mode: 0o4755 },
  ]);
  const l3 = buildLayer([
    { type: 'file', name: 'data/.wh.gone.txt' },
    { type: 'file', name: 'data/.wh.old' },
    { type: 'dir', name: 'data/opaque/' },
    { type: 'file', name: 'data/opaque/.wh..wh..opq' },
    { type: 'file', name: 'data/opaque/new.txt', body: 'new in opaque\n' },
    { type: 'file', name: 'data/linked.txt', body: 'linked content\n' },
    { type: 'hardlink', name: 'data/hardlink.txt', target: 'data/linked.txt' },
  ]);
  return {
    layers: [base, l2, l3],
    config: { Cmd: ['sh'], Env: ['PATH=/bin', 'FROM_IMAGE=yes'], WorkingDir: '/data', Labels: { fixture: 'multi' } },
    tag: 'latest',
  };
}

/**
 * busybox, then A, B and A again: the manifest lists layer A twice. Applied in
 * order, the second A re-adds what B deleted, deletes (by whiteout) what B
 * added, and makes a directory opaque over B's files; unpacked only once over
 * what lies below its first use, A's whiteouts would hide nothing.
 */
export function repeatedLayerImage(): ImageSpec {
  const a = buildLayer([
    { type: 'file', name: 'a.txt', body: 'from A\n' },
    { type: 'file', name: 'shared.txt', body: 'shared from A\n' },
    { type: 'file', name: '.wh.from-b.txt' },
    { type: 'dir', name: 'od/' },
    { type: 'file', name: 'od/.wh..wh..opq' },
    { type: 'file', name: 'od/a.txt', body: 'od a\n' },
  ]);
  const b = buildLayer([
    { type: 'file', name: '.wh.a.txt' },
    { type: 'file', name: 'shared.txt', body: 'shared from B\n' },
    { type: 'file', name: 'from-b.txt', body: 'from B\n' },
    { type: 'file', name: 'b-only.txt', body: 'b only\n' },
    { type: 'dir', name: 'od/' },
    { type: 'file', name: 'od/b.txt', body: 'od b\n' },
  ]);
  return { layers: [busyboxLayer(), a, b, a], config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, tag: 'latest' };
}
