// What the compose commands use, in one module they import when they run (cli/compose/commands.ts).
export { serviceContainers } from './containers.js';
export { down } from './down.js';
export { killServices, removeServices, restartServices, startServices, stopServices } from './lifecycle.js';
export { streamLogs } from './logs.js';
export { LABEL } from './naming.js';
export { runOneOff } from './one-off.js';
export { psRows, statusOf } from './ps.js';
export { selectServices, up } from './up.js';
export { loadProject } from './load.js';
export { renderHashes, renderJson, renderYaml } from './render.js';
export { listProjects } from './projects.js';
export { imageRows } from './images.js';
export { eventJson, formatEvent, watchEvents } from './events.js';
export { waitServices } from './wait.js';
