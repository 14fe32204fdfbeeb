// A runnable tour of racker's TypeScript API (docs/api.md). As root:
//   node docs/examples/api-example.mjs IMAGE [ROOT]
// IMAGE: anything racker can pull (a registry reference, oci:DIR, a curated label).
import { openSync, closeSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine, EngineEvents } from 'racker';

const [image, root = '/var/lib/racker'] = process.argv.slice(2);
const events = new EngineEvents();
const seen = { progress: 0, status: [], warnings: [] };
events.on('progress', () => { seen.progress++; });
events.on('status', m => seen.status.push(m));
events.on('warning', m => seen.warnings.push(m));

const engine = new Engine({ root, events });

// pull: progress arrives as events, nothing is printed
const pulled = await engine.images.pull(image, { tlsVerify: false });
const listed = await engine.images.list();

// run attached: the command's output into a file of ours, its exit code back
const out = path.join(mkdtempSync(path.join(tmpdir(), 'racker-api-')), 'out');
const fd = openSync(out, 'w');
const attached = await engine.containers.run({ image, command: ['sh', '-c', 'echo hello from $HOSTNAME; exit 3'], hostname: 'api', autoRemove: true }, { output: { fd } });
closeSync(fd);

// run detached, then exec, logs (a stream), inspect, stop, remove
const name = `api-${process.pid}`;
const detached = await engine.containers.run({ image, name, command: ['sh', '-c', 'echo started; sleep 300'], stopTimeout: 1 }, { detach: true });
const execFd = openSync(`${out}.exec`, 'w');
const execCode = await engine.containers.exec(name, ['sh', '-c', 'echo in exec; exit 4'], { output: { fd: execFd } });
closeSync(execFd);
await new Promise(r => setTimeout(r, 300));
const logLines = [];
for await (const line of await engine.containers.logs(name)) logLines.push(line.text);
const inspected = await engine.containers.inspect(name);
await engine.containers.stop(name);
const stopped = await engine.containers.get(name);
await engine.containers.remove(name);
const after = await engine.containers.list({ all: true });

console.log(JSON.stringify({
  imageId: pulled.record.id, images: listed.length, progressEvents: seen.progress,
  attached: { exitCode: attached.exitCode, output: readFileSync(out, 'utf8') },
  detached: { id: detached.id, execCode, execOutput: readFileSync(`${out}.exec`, 'utf8'), logLines, running: inspected?.State?.Running, stoppedStatus: stopped.state.status },
  containersLeft: after.filter(c => c.name === name).length, warnings: seen.warnings,
}));
