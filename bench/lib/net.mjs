// The network scenarios' parts: a bulk HTTP server that runs inside the
// container (Perl, which every Debian has as perl-base), and the loopback client.
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { abort } from './measure.mjs';

/** The port the server listens on inside the container. */
export const BULK_PORT = 8080;

/**
 * `perl -e BULK_SERVER SIZE`: answers every GET with SIZE zero bytes, written
 * 1 MiB at a time with syswrite, so the server is not what limits the transfer.
 */
export const BULK_SERVER = `
use strict;
use IO::Socket::INET;
my $size = $ARGV[0];
my $srv = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => ${BULK_PORT}, Listen => 16, ReuseAddr => 1) or die "listen: $!\\n";
my $chunk = "\\0" x (1 << 20);
while (my $c = $srv->accept) {
  while (my $h = <$c>) { last if $h =~ /^\\r?\\n$/; }
  syswrite($c, "HTTP/1.0 200 OK\\r\\nContent-Type: application/octet-stream\\r\\nContent-Length: $size\\r\\nConnection: close\\r\\n\\r\\n");
  my $left = $size;
  while ($left > 0) {
    my $n = syswrite($c, $chunk, $left < length($chunk) ? $left : length($chunk));
    last unless defined $n;
    $left -= $n;
  }
  close $c;
}
`;

/** GET the whole answer and count it; fails unless exactly `size` bytes came. */
export function fetchAll(host, port, size) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 60_000 }, res => {
      let got = 0;
      res.on('data', d => { got += d.length; });
      res.on('end', () => (got === size ? resolve(got) : reject(new Error(`${host}:${port}: got ${got} of ${size} bytes`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${host}:${port}: timed out`)));
    req.on('error', reject);
  });
}

/** Wait until something accepts connections on host:port. */
export async function waitForPort(host, port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (abort.requested) throw new Error('bench: interrupted');
    const ok = await new Promise(resolve => {
      const s = net.connect({ host, port });
      s.setTimeout(1000, () => { s.destroy(); resolve(false); });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not answer within ${timeoutMs / 1000}s`);
    await sleep(100);
  }
}
