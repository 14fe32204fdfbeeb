import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeContainer } from './probe-container.js';

const UNIT_SUFFIXES = ['service', 'socket', 'target', 'timer', 'path', 'mount', 'automount', 'swap', 'slice', 'scope', 'device'];
/** how long a started unit must stay active before it counts (a service that dies at once is not "active") */
const SETTLE_MS = 1500;

export interface UnitVerdict { ok: boolean; detail: string; output?: string }

/** `nginx` means `nginx.service`, as for systemctl. */
export function unitName(unit: string): string {
  const dot = unit.lastIndexOf('.');
  return dot > 0 && UNIT_SUFFIXES.includes(unit.slice(dot + 1)) ? unit : `${unit}.service`;
}

export function isValidUnitName(unit: string): boolean {
  return /^[A-Za-z0-9:_.\\@-]+$/.test(unit) && unit.length <= 255 && !unit.startsWith('-');
}

function parseShow(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return props;
}

async function show(c: ProbeContainer, unit: string): Promise<Record<string, string>> {
  const r = await c.run(['systemctl', 'show', '--property=LoadState,ActiveState,SubState,Result,Type,NRestarts,MainPID,UnitFileState,ExecMainStatus', unit]);
  return parseShow(r.output);
}

/** `systemctl status` and the unit's journal, for the report of a failed unit. */
async function diagnose(c: ProbeContainer, unit: string): Promise<string> {
  const status = await c.run(['systemctl', 'status', '--no-pager', '--full', '--lines=0', unit]);
  const journal = await c.run(['journalctl', '--unit', unit, '--no-pager', '--output=short-precise', '--lines=40']);
  return `$ systemctl status ${unit}\n${status.output}\n$ journalctl -u ${unit}\n${journal.output}`;
}

/** Enable and start a unit, then wait until it is active and stays so (bounded by timeoutMs). */
export async function checkUnit(c: ProbeContainer, given: string, timeoutMs: number): Promise<UnitVerdict> {
  const unit = unitName(given);
  const before = await show(c, unit);
  if (before.LoadState === 'not-found' || !before.LoadState) {
    return { ok: false, detail: `unit ${unit} not found (no such unit file in the image or the installed packages)` };
  }
  if (before.LoadState === 'masked') return { ok: false, detail: `unit ${unit} is masked` };
  if (before.LoadState !== 'loaded') return { ok: false, detail: `unit ${unit} could not be loaded (${before.LoadState})`, output: await diagnose(c, unit) };

  const enable = await c.run(['systemctl', 'enable', unit], { timeoutMs });
  if (enable.exitCode !== 0) return { ok: false, detail: `systemctl enable ${unit} failed: ${enable.output.split('\n').pop()}`, output: enable.output };
  const deadline = Date.now() + timeoutMs;
  const start = await c.run(['systemctl', 'start', unit], { timeoutMs });
  if (start.timedOut) return { ok: false, detail: `${unit} did not start within ${Math.round(timeoutMs / 1000)}s`, output: await diagnose(c, unit) };
  if (start.exitCode !== 0) {
    const s = await show(c, unit);
    const said = start.output ? `$ systemctl start ${unit}  (exit ${start.exitCode})\n${start.output}\n` : `$ systemctl start ${unit}  (exit ${start.exitCode})\n`;
    return { ok: false, detail: `${unit} failed to start (${s.ActiveState}/${s.SubState}, result ${s.Result})`, output: said + await diagnose(c, unit) };
  }
  let activeSince = 0;
  let restarts = '';
  let s: Record<string, string> = {};
  for (;;) {
    s = await show(c, unit);
    if (s.Type === 'oneshot' && s.ActiveState === 'inactive' && s.Result === 'success') return { ok: true, detail: 'oneshot unit ran successfully' };
    if (s.ActiveState === 'inactive') return { ok: false, detail: `${unit} exited right after starting (${s.SubState}, result ${s.Result})`, output: await diagnose(c, unit) };
    if (s.ActiveState === 'failed') return { ok: false, detail: `${unit} failed (result ${s.Result}${s.Result === 'exit-code' ? `, exit status ${s.ExecMainStatus}` : ''})`, output: await diagnose(c, unit) };
    if (s.ActiveState === 'active' && (activeSince === 0 || s.NRestarts !== restarts)) {
      activeSince = Date.now();
      restarts = s.NRestarts;
    } else if (s.ActiveState !== 'active') {
      activeSince = 0;
    }
    if (activeSince && Date.now() - activeSince >= Math.min(SETTLE_MS, timeoutMs)) {
      return { ok: true, detail: `active (${s.SubState})${s.MainPID && s.MainPID !== '0' ? `, main pid ${s.MainPID}` : ''}` };
    }
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  return { ok: false, detail: `${unit} not active after ${Math.round(timeoutMs / 1000)}s (${s.ActiveState}/${s.SubState})`, output: await diagnose(c, unit) };
}
