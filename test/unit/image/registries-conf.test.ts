import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endpointsFor, loadRegistriesConf, parseRegistriesConf, type RegistriesConfig } from '../../../src/image/registries-conf.js';
import { RackerError } from '../../../src/errors.js';

const F = '/etc/containers/registries.conf';

function conf(text: string): RegistriesConfig {
  return parseRegistriesConf(text, F);
}

function failure(fn: () => unknown): RackerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RackerError);
    expect((err as RackerError).hint).toBeTruthy();
    return err as RackerError;
  }
  throw new Error('expected a RackerError');
}

describe('parseRegistriesConf', () => {
  it('reads v2 entries, mirrors and search registries', () => {
    const c = conf(`
unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]
short-name-mode = "enforcing"   # read by others, ignored here

[[registry]]
prefix = "example.com/foo"
location = "internal.example.net/bar/"
insecure = true

[[registry.mirror]]
location = "mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "mirror-1.local:5000/mirrors/foo"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "quay.io"
blocked = false
`);
    expect(c).toEqual({
      unqualifiedSearch: ['registry.fedoraproject.org', 'docker.io'],
      registries: [
        {
          prefix: 'example.com/foo', location: 'internal.example.net/bar', insecure: true, blocked: false,
          mirrorByDigestOnly: false, file: F,
          mirrors: [
            { location: 'mirror-0.local/mirror-for-foo', insecure: false },
            { location: 'mirror-1.local:5000/mirrors/foo', insecure: true, pullFromMirror: 'digest-only' },
          ],
        },
        { prefix: 'quay.io', location: 'quay.io', insecure: false, blocked: false, mirrors: [], mirrorByDigestOnly: false, file: F },
      ],
    });
  });

  it('reads the v1 format', () => {
    const c = conf(`
[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com', 'registry1.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry.unsafe.com']
`);
    expect(c.unqualifiedSearch).toEqual(['registry1.com', 'registry2.com']);
    const summary = c.registries.map(r => [r.prefix, r.location, r.insecure, r.blocked]);
    expect(summary).toEqual([
      ['registry.untrusted.com', 'registry.untrusted.com', false, true],
      ['registry.unsafe.com', 'registry.unsafe.com', false, true],
      ['registry3.com', 'registry3.com', true, false],
      ['registry1.com', 'registry1.com', true, false],
    ]);
  });

  it('reads entries written as inline tables', () => {
    const c = conf('registry = [{ location = "a.io", insecure = true, mirror = [{ location = "m.io" }] }]');
    expect(c.registries).toEqual([
      { prefix: 'a.io', location: 'a.io', insecure: true, blocked: false, mirrors: [{ location: 'm.io', insecure: false }], mirrorByDigestOnly: false, file: F },
    ]);
  });

  it('is empty for an empty file', () => {
    expect(conf('# nothing\n')).toEqual({ registries: [], unqualifiedSearch: [] });
  });

  it.each<[string, RegExp]>([
    ['[[registry]]\ninsecure = true', /\[\[registry\]\] #1 has neither "prefix" nor "location"/],
    ['[[registry]]\nlocation = "a.io"\n[[registry]]\nlocation = "b.io"\ninsecure = "yes"', /\[\[registry\]\] #2 has "insecure" that is not true or false/],
    ['[[registry]]\nlocation = "https://a.io"', /URL schemes are not supported/],
    ['[[registry]]\nlocation = "a.io/Upper"', /not host\[:port\]\[\/path\]/],
    ['[[registry]]\nprefix = "a.io"\nlocation = ""', /empty "location"/],
    ['[[registry]]\nprefix = "a.io/x:tag"\nlocation = "b.io"', /not on tags or digests/],
    ['[[registry]]\nprefix = "*.a.io:5000"', /wildcard prefix is \*\.domain/],
    ['[[registry]]\nprefix = "*.a.io/x"', /wildcard prefix is \*\.domain/],
    ['[[registry]]\nprefix = "a.*.io"', /not host\[:port\]/],
    ['[[registry]]\nlocation = "a.io"\npull-from-mirror = "all"', /belongs in its \[\[registry\.mirror\]\]/],
    ['[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\ninsecure = true', /mirror #1 has no "location"/],
    ['[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"', /pull-from-mirror = "sometimes"/],
    ['[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "all"', /while its registry sets "mirror-by-digest-only"/],
    ['unqualified-search-registries = "docker.io"', /not an array of strings/],
    ['unqualified-search-registries = ["docker.io/library"]', /not a registry host/],
    ['registry = "a.io"', /not an array of tables/],
    ['unqualified-search-registries = []\n[registries.search]\nregistries = []', /mixes the v1/],
    ['[registries.block]\nregistries = [1]', /\[registries\.block\] has "registries" that is not an array of strings/],
    ['[[registry]]\nlocation = "a.io"\ninsecure = 1.5', /\[\[registry\]\] #1 has "insecure" that is not true or false/],
    ['[[registry]]\nlocation = 1979-05-27', /\[\[registry\]\] #1 has "location" that is not a string/],
    ['[[registry]]\nlocation = { host = "a.io" }', /\[\[registry\]\] #1 has "location" that is not a string/],
    ['registry = [{ location = "a.io" }, 1979-05-27]', /not an array of tables/],
    ['[registries]\nsearch = 2024-01-01', /\[registries\] has "search" that is not a table/],
  ])('refuses %j', (text, why) => {
    const e = failure(() => conf(text));
    expect(e.message.startsWith(`${F}: `), e.message).toBe(true);
    expect(e.message).toMatch(why);
  });

  it('names the file and line for TOML errors', () => {
    expect(failure(() => conf('[[registry]]\nlocation = "a.io"\ninsecure = yes')).message).toBe(`${F}:3: invalid value`);
  });
});

describe('endpointsFor', () => {
  const c = conf(`
[[registry]]
prefix = "example.com/foo"
location = "internal.example.net/bar"

[[registry.mirror]]
location = "mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
prefix = "example.com/foo/special"
location = "special.local:5000"
insecure = true

[[registry]]
location = "example.com"
blocked = true

[[registry]]
prefix = "docker.io/library"
location = "hub-cache.local/library"
[[registry.mirror]]
location = "by-digest.local/hub"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "by-tag.local/hub"
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "always.local"
pull-from-mirror = "all"

[[registry]]
location = "quay.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "quay-mirror.local"

[[registry]]
prefix = "*.corp.example"
insecure = true
[[registry.mirror]]
location = "corp-mirror.local"

[[registry]]
prefix = "*.build.corp.example"
location = "builds.local/all"

[[registry]]
prefix = "remap.io/hub"
location = "docker.io"
`);

  it('returns the mirrors in order, then the rewritten primary', () => {
    expect(endpointsFor(c, 'example.com', 'foo/app', false)).toEqual([
      { registry: 'mirror-0.local', repository: 'mirror-for-foo/app', insecure: false, mirror: true },
      { registry: 'mirror-1.local', repository: 'mirrors/foo/app', insecure: true, mirror: true },
      { registry: 'internal.example.net', repository: 'bar/app', insecure: false, mirror: false },
    ]);
  });

  it('prefers the longest matching prefix', () => {
    expect(endpointsFor(c, 'example.com', 'foo/special/x', false)).toEqual([
      { registry: 'special.local:5000', repository: 'x', insecure: true, mirror: false },
    ]);
  });

  it('matches only at a path boundary', () => {
    expect(() => endpointsFor(c, 'example.com', 'foobar/app', false)).toThrow(/blocked/);
    expect(endpointsFor(c, 'example.com.evil', 'foo/app', false)).toEqual([
      { registry: 'example.com.evil', repository: 'foo/app', insecure: false, mirror: false },
    ]);
  });

  it('refuses a blocked registry, naming the file', () => {
    const e = failure(() => endpointsFor(c, 'example.com', 'other/app', false));
    expect(e.message).toBe(`registry example.com is blocked in ${F}`);
    expect(e.hint).toContain('example.com/other/app');
  });

  it('honours pull-from-mirror', () => {
    const names = (byDigest: boolean) => endpointsFor(c, 'docker.io', 'library/busybox', byDigest).map(e => `${e.registry}/${e.repository}`);
    expect(names(false)).toEqual(['by-tag.local/hub/busybox', 'always.local/busybox', 'hub-cache.local/library/busybox']);
    expect(names(true)).toEqual(['by-digest.local/hub/busybox', 'always.local/busybox', 'hub-cache.local/library/busybox']);
  });

  it('honours mirror-by-digest-only', () => {
    expect(endpointsFor(c, 'quay.io', 'o/n', false).map(e => e.registry)).toEqual(['quay.io']);
    expect(endpointsFor(c, 'quay.io', 'o/n', true).map(e => e.registry)).toEqual(['quay-mirror.local', 'quay.io']);
  });

  it('applies a wildcard prefix to subdomains without rewriting the primary', () => {
    expect(endpointsFor(c, 'reg.corp.example', 'team/app', false)).toEqual([
      { registry: 'corp-mirror.local', repository: 'team/app', insecure: false, mirror: true },
      { registry: 'reg.corp.example', repository: 'team/app', insecure: true, mirror: false },
    ]);
    expect(endpointsFor(c, 'a.b.corp.example:5000', 'x', false).at(-1)).toEqual(
      { registry: 'a.b.corp.example:5000', repository: 'x', insecure: true, mirror: false });
    // the bare domain and look-alikes are not subdomains
    for (const registry of ['corp.example', 'evilcorp.example', 'corp.example.org']) {
      expect(endpointsFor(c, registry, 'x', false), registry).toEqual([{ registry, repository: 'x', insecure: false, mirror: false }]);
    }
  });

  it('lets a longer wildcard win and rewrites the whole host when it has a location', () => {
    expect(endpointsFor(c, 'ci.build.corp.example', 'app', false)).toEqual([
      { registry: 'builds.local', repository: 'all/app', insecure: false, mirror: false },
    ]);
  });

  it('puts Docker Hub single names under library/ after a rewrite', () => {
    expect(endpointsFor(c, 'remap.io', 'hub/busybox', false)).toEqual([
      { registry: 'docker.io', repository: 'library/busybox', insecure: false, mirror: false },
    ]);
  });

  it('uses the name as given when nothing matches', () => {
    expect(endpointsFor(c, 'ghcr.io', 'o/n', true)).toEqual([{ registry: 'ghcr.io', repository: 'o/n', insecure: false, mirror: false }]);
    expect(endpointsFor({ registries: [], unqualifiedSearch: [] }, 'docker.io', 'library/busybox', false))
      .toEqual([{ registry: 'docker.io', repository: 'library/busybox', insecure: false, mirror: false }]);
  });

  it('refuses a rewrite that leaves no repository', () => {
    const short = conf('[[registry]]\nprefix = "a.io/ns/app"\nlocation = "b.io"');
    expect(failure(() => endpointsFor(short, 'a.io', 'ns/app', false)).message).toMatch(/leaves no repository name for a\.io\/ns\/app/);
  });

  it('applies v1 insecure and block lists', () => {
    const v1 = conf("[registries.insecure]\nregistries = ['localhost:5000']\n[registries.block]\nregistries = ['bad.io']");
    expect(endpointsFor(v1, 'localhost:5000', 'x', false)).toEqual([{ registry: 'localhost:5000', repository: 'x', insecure: true, mirror: false }]);
    expect(() => endpointsFor(v1, 'bad.io', 'x', false)).toThrow(`registry bad.io is blocked in ${F}`);
  });
});

describe('loadRegistriesConf', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'racker-regconf-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  };

  it('is empty when no file exists', async () => {
    expect(await loadRegistriesConf({}, dir)).toEqual({ registries: [], unqualifiedSearch: [] });
    expect(await loadRegistriesConf({ CONTAINERS_REGISTRIES_CONF: path.join(dir, 'missing.conf') }, dir))
      .toEqual({ registries: [], unqualifiedSearch: [] });
  });

  it('merges drop-ins in name order, later prefixes replacing earlier ones', async () => {
    await write('registries.conf', [
      'unqualified-search-registries = ["docker.io"]',
      '[[registry]]\nlocation = "a.io"\ninsecure = true',
      '[[registry]]\nlocation = "b.io"',
    ].join('\n'));
    await write('registries.conf.d/20-second.conf', '[[registry]]\nlocation = "a.io"\nblocked = true\n');
    await write('registries.conf.d/10-first.conf', '[[registry]]\nlocation = "a.io"\ninsecure = false\n[[registry]]\nlocation = "c.io"');
    await write('registries.conf.d/30-search.conf', 'unqualified-search-registries = []');
    await write('registries.conf.d/README', 'not toml at all [');
    await write('registries.conf.d/dir.conf/inner.conf', 'not toml either [');

    const c = await loadRegistriesConf({}, dir);
    expect(c.unqualifiedSearch).toEqual([]);
    expect(c.registries.map(r => [r.prefix, r.insecure, r.blocked, path.basename(r.file!)])).toEqual([
      ['b.io', false, false, 'registries.conf'],
      ['c.io', false, false, '10-first.conf'],
      ['a.io', false, true, '20-second.conf'],
    ]);
    expect(() => endpointsFor(c, 'a.io', 'x', false)).toThrow(`registry a.io is blocked in ${path.join(dir, 'registries.conf.d/20-second.conf')}`);
  });

  it('keeps the search list when drop-ins do not set it', async () => {
    await write('registries.conf', 'unqualified-search-registries = ["quay.io", "docker.io"]');
    await write('registries.conf.d/10.conf', '[[registry]]\nlocation = "a.io"');
    expect((await loadRegistriesConf({}, dir)).unqualifiedSearch).toEqual(['quay.io', 'docker.io']);
  });

  it('reads only CONTAINERS_REGISTRIES_CONF when it is set', async () => {
    await write('registries.conf', '[[registry]]\nlocation = "system.io"');
    await write('registries.conf.d/10.conf', '[[registry]]\nlocation = "dropin.io"');
    await write('custom.conf', '[[registry]]\nlocation = "custom.io"');
    const c = await loadRegistriesConf({ CONTAINERS_REGISTRIES_CONF: path.join(dir, 'custom.conf') }, dir);
    expect(c.registries.map(r => r.prefix)).toEqual(['custom.io']);
  });

  it('refuses a v1 drop-in', async () => {
    await write('registries.conf.d/10.conf', "[registries.search]\nregistries = ['a.io']");
    await expect(loadRegistriesConf({}, dir)).rejects.toThrow(/drop-in files must use the v2 format/);
  });

  it('accepts a v1 main file with v2 drop-ins', async () => {
    await write('registries.conf', "[registries.insecure]\nregistries = ['a.io']");
    await write('registries.conf.d/10.conf', '[[registry]]\nlocation = "b.io"\nblocked = true');
    const c = await loadRegistriesConf({}, dir);
    expect(c.registries.map(r => [r.prefix, r.insecure, r.blocked])).toEqual([['a.io', true, false], ['b.io', false, true]]);
  });

  it('names the file and line of a syntax error', async () => {
    await write('registries.conf.d/10.conf', '[[registry]]\nlocation = "a.io"\ninsecure = maybe\n');
    await expect(loadRegistriesConf({}, dir)).rejects.toThrow(`${path.join(dir, 'registries.conf.d/10.conf')}:3: invalid value`);
  });
});
