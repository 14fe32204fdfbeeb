// Runs one NetworkManager call from the built library and prints its result as
// JSON: lets a test run racker's network code inside a network namespace it
// made (ip netns exec R node network-driver.mjs '{"op":…}').
import { NetworkManager } from '../../dist/network/manager.js';

const { root, runDir, op, args } = JSON.parse(process.argv[2]);
const m = new NetworkManager({ root, runDir });
try {
  const result = await m[op](...args);
  process.stdout.write(JSON.stringify(result ?? null));
} catch (err) {
  process.stderr.write(String(err?.message ?? err));
  process.exit(err?.exitCode ?? 1);
}
