import { readFile } from 'node:fs/promises';
import { nameservers, resolvContent } from '../runtime/hosts-resolv.js';

/**
 * /etc/resolv.conf for a container on a private network, from the host's
 * (`hostFile`, default /etc/resolv.conf) and --dns; with a warning when no
 * nameserver is left that the container can reach.
 */
export async function containerResolvConf(dns: string[], hostFile?: string): Promise<{ content: string; warning?: string }> {
  let host = await readFile(hostFile ?? '/etc/resolv.conf', 'utf8').catch(() => '');
  // systemd-resolved's stub (127.0.0.53) is unreachable from the container; its upstream list is not
  if (!dns.length && !nameservers(host).servers.length && !hostFile) {
    host = await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => host);
  }
  const { servers, dropped } = nameservers(host, dns);
  return {
    content: resolvContent(host, dns),
    warning: servers.length ? undefined : `the host's nameservers (${dropped.join(', ') || 'none'}) cannot be reached from a private network; the container has none (use --dns)`,
  };
}
