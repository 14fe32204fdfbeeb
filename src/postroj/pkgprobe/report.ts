/** What a probe found, per image and per check, and how it is written out. */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  /** "boot", "install hello_1.0_all.deb", "unit nginx.service", "http://localhost/" */
  name: string;
  kind: 'boot' | 'install' | 'unit' | 'network';
  status: CheckStatus;
  durationMs: number;
  /** one line */
  detail: string;
  /** command output or journal lines, for failures */
  output?: string;
}

export interface ImageReport {
  image: string;
  os?: string;
  container?: string;
  /** the container's own private network (same name) */
  network?: string;
  kept: boolean;
  status: 'passed' | 'failed';
  durationMs: number;
  checks: CheckResult[];
}

export interface ProbeReport {
  status: 'passed' | 'failed';
  startedAt: string;
  durationMs: number;
  summary: { images: number; passed: number; failed: number; skipped: number };
  images: ImageReport[];
}

export function summarize(images: ImageReport[], startedAt: Date): ProbeReport {
  const checks = images.flatMap(i => i.checks);
  const count = (s: CheckStatus) => checks.filter(c => c.status === s).length;
  return {
    status: images.every(i => i.status === 'passed') ? 'passed' : 'failed',
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary: { images: images.length, passed: count('passed'), failed: count('failed'), skipped: count('skipped') },
    images,
  };
}

export function toJson(report: ProbeReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** XML 1.0 allows neither most control characters nor lone surrogates. */
function xml(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

/** JUnit XML as CI systems read it: one testsuite per image, one testcase per check. */
export function toJunit(report: ProbeReport): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const s = report.summary;
  lines.push(`<testsuites name="postroj pkgprobe" tests="${s.passed + s.failed + s.skipped}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${secs(report.durationMs)}" timestamp="${report.startedAt}">`);
  for (const img of report.images) {
    const n = (st: CheckStatus) => img.checks.filter(c => c.status === st).length;
    lines.push(`  <testsuite name="${xml(img.image)}" tests="${img.checks.length}" failures="${n('failed')}" errors="0" skipped="${n('skipped')}" time="${secs(img.durationMs)}">`);
    if (img.os || img.container) {
      lines.push('    <properties>');
      if (img.os) lines.push(`      <property name="os" value="${xml(img.os)}"/>`);
      if (img.container) lines.push(`      <property name="container" value="${xml(img.container)}"/>`);
      lines.push('    </properties>');
    }
    for (const c of img.checks) {
      const open = `    <testcase classname="pkgprobe.${xml(img.image)}" name="${xml(c.name)}" time="${secs(c.durationMs)}"`;
      if (c.status === 'passed') {
        lines.push(`${open}/>`);
      } else if (c.status === 'skipped') {
        lines.push(`${open}>`, `      <skipped message="${xml(c.detail)}"/>`, '    </testcase>');
      } else {
        lines.push(`${open}>`, `      <failure message="${xml(c.detail)}" type="${c.kind}">${xml(c.output ?? c.detail)}</failure>`, '    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
