import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lookupIds } from '../../../src/runtime/user.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'racker-unit-user-'));
  await mkdir(path.join(root, 'etc'));
  await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  await writeFile(path.join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:other,app\nmore:x:2001:app\nnone:x:2002:other\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('lookupIds', () => {
  it('finds a user by name or number, with the supplementary groups /etc/group gives it', async () => {
    expect(await lookupIds(root, 'app')).toEqual({ uid: 1000, gid: 1000, groups: [2000, 2001] });
    expect(await lookupIds(root, '1000')).toEqual({ uid: 1000, gid: 1000, groups: [2000, 2001] });
    expect(await lookupIds(root, 'app:extra')).toEqual({ uid: 1000, gid: 2000, groups: [2001] });
  });

  it('takes numbers the image does not know as they are, with no groups', async () => {
    expect(await lookupIds(root, '4242')).toEqual({ uid: 4242, gid: 4242, groups: [] });
    expect(await lookupIds(root, '4242:7')).toEqual({ uid: 4242, gid: 7, groups: [] });
  });

  it('refuses unknown names and ids out of range', async () => {
    await expect(lookupIds(root, 'ghost')).rejects.toThrow(/unable to find user ghost/);
    await expect(lookupIds(root, 'app:ghosts')).rejects.toThrow(/unable to find group ghosts/);
    await expect(lookupIds(root, '99999999999')).rejects.toThrow(/invalid user/);
  });
});
