/**
 * The detached supervisor of one container (like podman's conmon): started by
 * startDetached in its own session, it runs the container from its stored
 * spec, keeps its log, records its exit, and reports "started" on fd 3.
 * Arguments: --root DIR [--debug] CONTAINER_ID. Nothing else is read: no
 * stdin, no environment file.
 */
import { RackerError } from '../errors.js';
import { logLevel } from '../log.js';
import { openRoot, runnerFor } from './runners.js';
import { SupervisorReport } from './supervisor.js';
import { HealthMonitor } from './health.js';

async function supervise(argv: string[], report: SupervisorReport): Promise<number> {
  const rootAt = argv.indexOf('--root');
  const root = rootAt >= 0 ? argv[rootAt + 1] : undefined;
  const id = argv[argv.length - 1];
  if (!root || !id || id === root) throw new RackerError('usage: supervisor-main --root DIR [--debug] CONTAINER_ID');
  logLevel.debug = argv.includes('--debug');
  const deps = openRoot(root);
  const rec = await deps.containers.get(id);
  const image = await deps.images.readImage(rec.image);
  if (!image) throw new RackerError(`image ${rec.imageName} of container ${rec.name} is no longer in the store`, { hint: `pull it again (racker pull ${rec.imageName}) or remove the container` });
  // the health check (--health-cmd or the image's) runs while the container does
  let health: HealthMonitor | undefined;
  return runnerFor(rec, deps).run(rec, image, { stdin: false, output: 'log' }, {
    onStarted: (r) => {
      report.started(r.id);
      health = new HealthMonitor(deps.containers, r, image);
      void health.start();
    },
    beforeExit: async () => { await health?.stop(); },
  });
}

// detached in its own session: terminal signals are not ours to act on
process.on('SIGHUP', () => undefined);
const report = new SupervisorReport();
try {
  process.exitCode = await supervise(process.argv.slice(2), report);
} catch (err) {
  report.failed(err);
  process.exitCode = (err as RackerError).exitCode ?? 125;
}
