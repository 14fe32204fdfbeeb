import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface DebSpec {
  name: string;
  version?: string;
  depends?: string;
  /** path inside the package → content (executables under usr/bin get mode 755) */
  files: Record<string, string>;
}

/** Build a real .deb with dpkg-deb into `outDir`; returns its path. */
export async function buildDeb(outDir: string, spec: DebSpec): Promise<string> {
  const work = await mkdtemp(path.join(tmpdir(), 'racker-deb-'));
  try {
    const version = spec.version ?? '1.0';
    await mkdir(path.join(work, 'DEBIAN'));
    await writeFile(path.join(work, 'DEBIAN/control'), [
      `Package: ${spec.name}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: racker tests <tests@example.invalid>',
      ...(spec.depends ? [`Depends: ${spec.depends}`] : []), `Description: ${spec.name}, built by the racker test suite`, '',
    ].join('\n'));
    for (const [p, content] of Object.entries(spec.files)) {
      const file = path.join(work, p);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      await chmod(file, p.startsWith('usr/bin/') ? 0o755 : 0o644);
    }
    const out = path.join(outDir, `${spec.name}_${version}_all.deb`);
    await execa('dpkg-deb', ['--root-owner-group', '--build', work, out]);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A tiny HTTP service in Perl (perl-base is in every Debian): "hello" on /, 404 elsewhere. */
const HELLO_SERVER = `#!/usr/bin/perl
use strict;
use warnings;
use IO::Socket::INET;
my $port = $ARGV[0] or die "usage: $0 PORT\\n";
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 16, ReuseAddr => 1)
  or die "cannot listen on $port: $!\\n";
print "listening on $port\\n";
while (my $c = $srv->accept) {
  my $line = <$c> // '';
  while (my $h = <$c>) { last if $h =~ /^\\r?\\n$/; }
  my ($path) = $line =~ m{^GET (\\S+)};
  my ($status, $body) = ($path // '') eq '/' ? ('200 OK', "hello from probe-hello\\n") : ('404 Not Found', "no such page\\n");
  print $c "HTTP/1.0 $status\\r\\nContent-Type: text/plain\\r\\nContent-Length: " . length($body) . "\\r\\nConnection: close\\r\\n\\r\\n$body";
  close $c;
}
`;

const unit = (description: string, execStart: string) =>
  `[Unit]\nDescription=${description}\n\n[Service]\nExecStart=${execStart}\n\n[Install]\nWantedBy=multi-user.target\n`;

/** A package whose service answers HTTP on `port`. */
export function helloPackage(name: string, port: number): DebSpec {
  return {
    name, depends: 'perl-base',
    files: {
      [`usr/bin/${name}`]: HELLO_SERVER,
      [`lib/systemd/system/${name}.service`]: unit('probe test HTTP service', `/usr/bin/${name} ${port}`),
    },
  };
}

/** A package whose service writes a line to its journal and exits 3 shortly after starting. */
export function brokenPackage(name: string): DebSpec {
  return {
    name,
    files: { [`lib/systemd/system/${name}.service`]: unit('probe test service that fails', '/bin/sh -c "echo about to fail >&2; sleep 0.3; exit 3"') },
  };
}

/** A package whose service just stays up (listens on nothing, so several can run at once). */
export function idlePackage(name: string): DebSpec {
  return { name, files: { [`lib/systemd/system/${name}.service`]: unit('probe test idle service', '/bin/sleep infinity') } };
}
