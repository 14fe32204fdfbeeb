import { isatty } from 'node:tty';

/** Whether racker's own stdin and stdout are terminals. */
export function ownTerminal(): { stdin: boolean; stdout: boolean } {
  return { stdin: isatty(0), stdout: isatty(1) };
}

/**
 * Whether `-t` gets the command a pseudo-terminal: only when racker's stdin and
 * stdout are both terminals (systemd-run's rule for `--pty --pipe`). Otherwise
 * the command gets racker's stdin, stdout and stderr as they are. A pty in
 * between cannot carry an end of file: nspawn's and systemd-run's forwarders
 * stop at the end of piped input, and whatever the command writes after that
 * is lost (nspawn also kills the container).
 */
export function useTerminal(tty: boolean, fds: { stdin: boolean; stdout: boolean } = ownTerminal()): boolean {
  return tty && fds.stdin && fds.stdout;
}
