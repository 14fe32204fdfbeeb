import { systemdIsPid1 } from '../host.js';
/** A running booted container, as the host sees it. */
export interface ExecTarget {
  machine: string;
  /** the container's PID 1 (systemd), as a host pid */
  leader: number;
}

/**
 * How racker runs a program inside a booted container. Where PID 1 is not
 * systemd there is no machined: enter the leader's namespaces with nsenter.
 * Where machined knows the container, go through it. A third way is a new
 * implementation of this interface.
 */
export interface ContainerExec {
  readonly name: string;
  /** the host command that runs `argv` inside the container */
  command(target: ExecTarget, argv: string[]): { cmd: string; args: string[] };
}

export class NsenterExec implements ContainerExec {
  readonly name = 'nsenter';
  command(target: ExecTarget, argv: string[]) {
    return { cmd: 'nsenter', args: ['--target', String(target.leader), '--all', '--', ...argv] };
  }
}

/**
 * For machined-registered containers: `systemd-run -M` and `systemctl -M` reach them directly.
 * Except `systemd-run --pty`: with Debian 12's systemd (252.39) `-M … --pty` loses the terminal
 * both ways (nothing typed arrives, nothing printed shows; the exit code still does), so the
 * terminal case runs systemd-run inside the container's namespaces, where --pty works.
 */
export class MachinedExec implements ContainerExec {
  readonly name = 'machined';
  command(target: ExecTarget, argv: string[]) {
    const [tool, ...rest] = argv;
    const end = rest.indexOf('--');
    const pty = tool === 'systemd-run' && (end < 0 ? rest : rest.slice(0, end)).includes('--pty');
    if (!pty && (tool === 'systemd-run' || tool === 'systemctl' || tool === 'journalctl')) {
      return { cmd: tool, args: ['--machine', target.machine, ...rest] };
    }
    // anything else still needs the namespaces
    return new NsenterExec().command(target, argv);
  }
}

/** The one place that decides how to reach into a booted container on this host. */
export function hostExecPath(): ContainerExec {
  return systemdIsPid1() ? new MachinedExec() : new NsenterExec();
}
