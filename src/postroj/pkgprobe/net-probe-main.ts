/** Entry of the network check run inside a container's network namespace: a NetworkCheck as JSON in argv[2], one NetworkVerdict as JSON out. */
import { probeNetwork } from './net-probe.js';
import type { NetworkCheck } from './network-check.js';

const check = JSON.parse(process.argv[2] ?? '{}') as NetworkCheck;
process.stdout.write(JSON.stringify(await probeNetwork(check)) + '\n');
