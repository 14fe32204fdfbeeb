import type { Command } from 'commander';
import { createProgram } from '../context.js';
import * as pull from './pull.js';
import * as login from './login.js';
import * as logout from './logout.js';
import * as run from './run.js';
import * as images from './images.js';
import * as rmi from './rmi.js';
import * as ps from './ps.js';
import * as rm from './rm.js';
import * as inspect from './inspect.js';
import * as stop from './stop.js';
import * as logs from './logs.js';
import * as exec from './exec.js';
import * as cp from './cp.js';
import * as doctor from './doctor.js';
import * as compose from './compose.js';
import * as volume from './volume.js';
import * as network from './network.js';
import * as wait from './wait.js';
import * as load from './load.js';
import * as save from './save.js';
import * as image from './image.js';
import * as system from './system.js';

/** The racker CLI: every verb declared on one program. */
export function rackerProgram(): Command {
  const program = createProgram('racker', 'run containers with systemd-nspawn: app containers from OCI images, and OS containers');
  for (const verb of [pull, login, logout, run, exec, cp, ps, logs, stop, wait, rm, images, rmi, save, load, image, inspect, network, volume, system, compose, doctor]) verb.register(program);
  return program;
}
