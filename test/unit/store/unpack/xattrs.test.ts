import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { attrUnquote, keepXattr, XattrQueue } from '../../../../src/store/unpack/xattrs.js';

function xattrsOf(p: string): string {
  return execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'text', '--absolute-names', '--', p]).toString()
    .split('\n').filter(l => l && !l.startsWith('#')).sort().join('\n');
}

describe('keepXattr', () => {
  it.each<[string, 'file' | 'dir' | 'symlink', boolean]>([
    ['user.comment', 'file', true],
    ['user.comment', 'dir', true],
    ['user.comment', 'symlink', false],
    ['user.', 'file', false],
    ['security.capability', 'file', true],
    ['security.selinux', 'file', false],
    ['security.', 'file', false],
    ['system.posix_acl_access', 'file', true],
    ['system.posix_acl_default', 'dir', true],
    ['system.posix_acl_default', 'file', false],
    ['system.nfs4_acl', 'file', false],
    ['trusted.overlay.opaque', 'dir', false],
    ['trusted.overlay.redirect', 'dir', false],
    ['user.a=b', 'file', false],
    ['user.a\\b', 'file', false],
    ['user.a b', 'file', false],
    [`user.${'x'.repeat(251)}`, 'file', false],
  ])('%s on a %s: %s', (name, type, kept) => {
    expect(keepXattr(name, type)).toBe(kept);
  });
});

describe('attrUnquote', () => {
  it('turns getfattr\'s \\ooo escapes back into UTF-8', () => {
    expect(attrUnquote('a\\040b\\134c')).toBe('a b\\c');
    expect(attrUnquote(Buffer.from('é', 'utf8').toString('latin1'))).toBe('é');
  });
});

describe('XattrQueue', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'racker-xattrs-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('sets queued xattrs with one setfattr, names with spaces and newlines included', async () => {
    const odd = 'a b\nc\\d';
    await writeFile(path.join(dir, odd), '');
    await mkdir(path.join(dir, 'sub'));
    const q = new XattrQueue();
    q.set(odd, 'user.one', Buffer.from('1'));
    q.set('sub', 'user.two', Buffer.from('2'));
    q.set('', 'user.root', Buffer.from('r'));
    q.set('sub', 'user.cancelled', Buffer.from('x'));
    q.cancel('sub');
    q.set('sub', 'user.three', Buffer.from('3'));
    await q.flush(dir);
    expect(xattrsOf(path.join(dir, odd))).toBe('user.one="1"');
    expect(xattrsOf(path.join(dir, 'sub'))).toBe('user.three="3"');
    expect(xattrsOf(dir)).toBe('user.root="r"');
  });

  it('copies the kept xattrs of a lower-layer directory, explicit ones winning', async () => {
    const lower = path.join(dir, 'lower');
    const dest = path.join(dir, 'dest');
    await mkdir(lower);
    await mkdir(path.join(dest, 'd'), { recursive: true });
    execFileSync('setfattr', ['-n', 'user.keep', '-v', 'lower', lower]);
    execFileSync('setfattr', ['-n', 'user.both', '-v', 'lower', lower]);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', lower]);
    const q = new XattrQueue();
    q.copyFrom(lower, 'd');
    q.set('d', 'user.both', Buffer.from('mine'));
    await q.flush(dest);
    expect(xattrsOf(path.join(dest, 'd'))).toBe('user.both="mine"\nuser.keep="lower"');
  });
});
