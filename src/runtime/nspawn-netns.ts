import type { ConnectedNetwork } from './runner.js';

/**
 * systemd-nspawn started inside the container's network namespace, when it
 * has one of its own. nspawn mounts the container's /sys before it joins the
 * namespace given with --network-namespace-path, and the kernel ties a sysfs
 * mount to the network namespace of the process that mounts it: started on
 * the host's, the container's /sys/class/net would list the host's links,
 * bridges and the other containers' veths. nsenter execs nspawn in place (no
 * process more; the pid is nspawn's), so everything that waits for, signals
 * or inspects nspawn is unchanged.
 */
export function nspawnCommand(network: Pick<ConnectedNetwork, 'netns'>, args: string[]): [string, string[]] {
  return network.netns ? ['nsenter', [`--net=${network.netns}`, '--', 'systemd-nspawn', ...args]] : ['systemd-nspawn', args];
}
