import { DEFAULT_PATH } from '../command-lookup.js';
import { systemdIsPid1 } from '../host.js';
import { confinedCommand } from './confine.js';
/** A running booted container, as the host sees it. */
export interface ExecTarget {
  machine: string;
  /** the container's PID 1 (systemd), as a host pid */
  leader: number;
}

/**
 * How racker runs a program inside a booted container. Where PID 1 is not
 * systemd there is no machined: the container's own program (systemctl,
 * systemd-run) runs confined as the container's root (confine.ts).
 * Where machined knows the container, go through it. A third way is a new
 * implementation of this interface.
 */
export interface ContainerExec {
  readonly name: string;
  /** the host command that runs `argv` inside the container */
  command(target: ExecTarget, argv: string[]): { cmd: string; args: string[] };
}

export class EnterExec implements ContainerExec {
  readonly name = 'enter';
  command(target: ExecTarget, argv: string[]) {
    // a clean environment: none of racker's own variables go into the container (a terminal's TERM does, for --pty)
    const term = process.env.TERM && /^[\w.+-]{1,64}$/.test(process.env.TERM) ? [['TERM', process.env.TERM] as [string, string]] : [];
    return confinedCommand({ leader: target.leader, env: [['PATH', DEFAULT_PATH], ...term] }, argv);
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
    // anything else is the container's own program: confined
    return new EnterExec().command(target, argv);
  }
}

/** The one place that decides how to reach into a booted container on this host. */
export function hostExecPath(): ContainerExec {
  return systemdIsPid1() ? new MachinedExec() : new EnterExec();
}
