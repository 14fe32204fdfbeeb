import { describe, expect, it } from 'vitest';
import { RackerError } from '../../../src/errors.js';
import { parseMountFlag, parseRamSize, parseTmpfsFlag, parseVolumeFlag, splitCsv } from '../../../src/runtime/mount-spec.js';

/** The error a parser throws: a RackerError with exit code 125 and a hint. */
function failure(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).exitCode).toBe(125);
    return err as RackerError;
  }
  throw new Error('expected a failure');
}
describe('-v', () => {
  it('NAME:/path[:opts] is a named volume', () => {
    expect(parseVolumeFlag('data:/srv/data')).toEqual({ kind: 'volume', name: 'data', target: '/srv/data', readOnly: false, anonymous: false, noCopy: false });
    expect(parseVolumeFlag('data:/srv/data/:ro')).toMatchObject({ kind: 'volume', target: '/srv/data', readOnly: true });
    expect(parseVolumeFlag('data:/x:ro,nocopy')).toMatchObject({ readOnly: true, noCopy: true });
    expect(parseVolumeFlag('data:/x:nocopy')).toMatchObject({ readOnly: false, noCopy: true });
  });

  it('/path alone is an anonymous volume', () => {
    expect(parseVolumeFlag('/var/cache/app/')).toEqual({ kind: 'volume', name: '', target: '/var/cache/app', readOnly: false, anonymous: true, noCopy: false });
  });

  it('/host:/path is a bind mount, ro or rw', () => {
    expect(parseVolumeFlag('/h:/c')).toEqual({ kind: 'bind', source: '/h', target: '/c', readOnly: false });
    expect(parseVolumeFlag('/h/../x:/c/:ro')).toEqual({ kind: 'bind', source: '/x', target: '/c', readOnly: true });
    expect(parseVolumeFlag('/h:/etc/myapp:rw')).toEqual({ kind: 'bind', source: '/h', target: '/etc/myapp', readOnly: false });
    expect(failure(() => parseVolumeFlag('/h:/c:nocopy')).message).toMatch(/invalid volume mode 'nocopy'/);
    expect(failure(() => parseVolumeFlag('/h:/proc')).message).toMatch(/refusing to mount over \/proc/);
  });

  it('refuses what docker refuses, with one clear line', () => {
    expect(failure(() => parseVolumeFlag('/data:ro')).message).toMatch(/anonymous volume takes no mode/);
    expect(failure(() => parseVolumeFlag('a:/x')).message).toMatch(/invalid characters for a volume name/);
    const rel = failure(() => parseVolumeFlag('./data:/x'));
    expect(rel.message).toMatch(/invalid characters for a volume name/);
    expect(rel.hint).toMatch(/absolute path/);
    expect(failure(() => parseVolumeFlag(':/x')).message).toMatch(/invalid volume specification: ':\/x'/);
    expect(failure(() => parseVolumeFlag('data:')).message).toMatch(/invalid volume/);
    expect(failure(() => parseVolumeFlag('a:b:c:d')).message).toMatch(/invalid volume/);
    expect(failure(() => parseVolumeFlag('data:/x:rx')).message).toMatch(/invalid mode: rx/);
    expect(failure(() => parseVolumeFlag('data:relative')).message).toMatch(/mount path must be absolute/);
    expect(failure(() => parseVolumeFlag('data:/etc')).message).toMatch(/refusing to mount over \/etc/);
    expect(failure(() => parseVolumeFlag('relative')).message).toMatch(/mount path must be absolute/);
    expect(failure(() => parseVolumeFlag('/proc')).message).toMatch(/refusing/);
    expect(failure(() => parseVolumeFlag('data:/x\0')).message).toMatch(/NUL/);
  });
});

describe('--mount CSV', () => {
  it("splits as Go's encoding/csv: quoted fields, doubled quotes", () => {
    expect(splitCsv('a=1,b=2')).toEqual(['a=1', 'b=2']);
    expect(splitCsv('"target=/a,b",type=tmpfs')).toEqual(['target=/a,b', 'type=tmpfs']);
    expect(splitCsv('"src=say ""hi""",x')).toEqual(['src=say "hi"', 'x']);
    expect(splitCsv('a,,b,')).toEqual(['a', '', 'b', '']);
    expect(splitCsv('""')).toEqual(['']);
    expect(failure(() => splitCsv('"target=/a')).message).toMatch(/not closed/);
    expect(failure(() => splitCsv('"target=/a"x')).message).toMatch(/after a closing quote/);
    expect(failure(() => splitCsv('target="/a"')).message).toMatch(/quote inside an unquoted field/);
    expect(failure(() => splitCsv('a=1\nb=2')).message).toMatch(/line break/);
  });

  it('every key: type, source/src, target/dst/destination, readonly/ro, volume-nocopy, tmpfs-size, tmpfs-mode', () => {
    expect(parseMountFlag('type=bind,source=/srv,target=/data')).toEqual({ kind: 'bind', source: '/srv', target: '/data', readOnly: false });
    expect(parseMountFlag('type=bind,src=/srv/../h,dst=/data/,readonly')).toEqual({ kind: 'bind', source: '/h', target: '/data', readOnly: true });
    expect(parseMountFlag('type=BIND,src=/srv,destination=/d,ro=true')).toMatchObject({ kind: 'bind', target: '/d', readOnly: true });
    expect(parseMountFlag('type=bind,src=/srv,target=/d,readonly=0')).toMatchObject({ readOnly: false });
    expect(parseMountFlag('type=bind,src=/srv,target=/d,READONLY=False')).toMatchObject({ readOnly: false });
    expect(parseMountFlag('type=volume,source=data,target=/data')).toEqual({ kind: 'volume', name: 'data', target: '/data', readOnly: false, anonymous: false, noCopy: false });
    expect(parseMountFlag('source=data,target=/data,volume-nocopy')).toMatchObject({ kind: 'volume', name: 'data', noCopy: true });
    expect(parseMountFlag('src=data,target=/data,volume-nocopy=false,ro=1')).toMatchObject({ noCopy: false, readOnly: true });
    expect(parseMountFlag('type=volume,target=/cache')).toEqual({ kind: 'volume', name: '', target: '/cache', readOnly: false, anonymous: true, noCopy: false });
    expect(parseMountFlag('type=tmpfs,target=/scratch')).toEqual({ kind: 'tmpfs', target: '/scratch', readOnly: false, flags: [] });
    expect(parseMountFlag('type=tmpfs,dst=/scratch,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({ kind: 'tmpfs', target: '/scratch', size: 64 * 1024 ** 2, mode: 0o1770, readOnly: false, flags: [] });
  });

  it('paths with commas or colons when quoted', () => {
    expect(parseMountFlag('type=bind,"source=/srv/a,b:c","target=/data/x,y"')).toEqual({ kind: 'bind', source: '/srv/a,b:c', target: '/data/x,y', readOnly: false });
  });

  it('refuses bad input with 125 and a hint', () => {
    const cases: [string, RegExp][] = [
      ['source=data', /target is required/],
      ['type=npipe,target=/x', /invalid --mount type 'npipe'/],
      ['type=bind,target=/x', /source is required/],
      ['type=bind,source=rel,target=/x', /not an absolute path/],
      ['type=bind,source=/h,target=/proc', /refusing to mount over \/proc/],
      ['type=volume,source=/abs,target=/x', /invalid characters for a volume name/],
      ['type=volume,source=a,target=/x', /invalid characters for a volume name/],
      ['type=tmpfs,source=x,target=/x', /source must not be given/],
      ['type=tmpfs,target=relative', /not an absolute path/],
      ['type=bind,source=/h,target=/x,tmpfs-size=1m', /cannot mix 'tmpfs-size' with mount type 'bind'/],
      ['type=tmpfs,target=/x,volume-nocopy', /cannot mix 'volume-nocopy' with mount type 'tmpfs'/],
      ['type=tmpfs,target=/x,tmpfs-size=lots', /invalid tmpfs-size 'lots'/],
      ['type=tmpfs,target=/x,tmpfs-size=0', /invalid tmpfs-size/],
      ['type=tmpfs,target=/x,tmpfs-mode=999', /invalid tmpfs-mode '999'/],
      ['type=tmpfs,target=/x,tmpfs-mode=17777', /invalid tmpfs-mode/],
      ['type=bind,source=/h,target=/x,readonly=yes', /invalid value for readonly: 'yes'/],
      ['type=bind,source=/h,target=/x,bind-propagation=shared', /'bind-propagation' is not supported/],
      ['target=/x,volume-driver=nfs', /'volume-driver' is not supported/],
      ['target=/x,colour=red', /unexpected key 'colour'/],
      ['target', /must be a key=value pair/],
      ['target=/x,\0', /NUL/],
    ];
    for (const [spec, message] of cases) {
      const err = failure(() => parseMountFlag(spec));
      expect(err.message, spec).toMatch(message);
      expect(err.hint, spec).toBeTruthy();
    }
  });
});

describe('--tmpfs', () => {
  it('takes a path and known mount options', () => {
    expect(parseTmpfsFlag('/run/app')).toEqual({ kind: 'tmpfs', target: '/run/app', readOnly: false, flags: [] });
    expect(parseTmpfsFlag('/scratch:rw,noexec,nosuid,size=65536k,mode=1777,uid=1000,gid=0')).toEqual({
      kind: 'tmpfs', target: '/scratch', size: 65536 * 1024, mode: 0o1777, readOnly: false, flags: ['noexec', 'nosuid', 'uid=1000', 'gid=0'],
    });
    expect(parseTmpfsFlag('/scratch:ro')).toMatchObject({ readOnly: true });
  });

  it('refuses unknown options and bad values', () => {
    for (const [spec, message] of [
      ['/x:size=big', /invalid tmpfs size 'big'/],
      ['/x:mode=8', /invalid tmpfs mode '8'/],
      ['/x:uid=root', /invalid tmpfs option 'uid=root'/],
      ['/x:remount', /invalid tmpfs option 'remount'/],
      ['/x:', /invalid tmpfs option ''/],
      ['rel', /not an absolute path/],
      ['/dev:size=1m', /refusing to mount over \/dev/],
    ] as [string, RegExp][]) {
      expect(failure(() => parseTmpfsFlag(spec)).message, spec).toMatch(message);
    }
  });

  it("sizes as docker's RAMInBytes (powers of 1024)", () => {
    expect(parseRamSize('1024')).toBe(1024);
    expect(parseRamSize('1k')).toBe(1024);
    expect(parseRamSize('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseRamSize('64MiB')).toBe(64 * 1024 ** 2);
    expect(parseRamSize('2 GB')).toBe(2 * 1024 ** 3);
  });
});
