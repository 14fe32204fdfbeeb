/**
 * docker's grammars for what a caller hands the engine: `-e`/`--env-file`,
 * `-v`/`--mount`/`--tmpfs`, `-p`, and the short volume and port syntax
 * (syntax/) compose's `volumes:` and `ports:` share with them. The CLIs and compose parse with these (so a
 * flag and a compose key mean the same); engine/spec.ts then checks the
 * whole ContainerSpecInput once.
 */
export { mergeEnv, parseEnvAssignments, readEnvFile, readEnvFileText } from '../runtime/env.js';
export { parseMountFlag, parseOctalMode, parseTmpfsFlag, parseVolumeFlag } from '../runtime/mount-spec.js';
export { publishSpecs } from '../network/ports.js';
export { parsePortSyntax, type PortSyntax } from '../syntax/ports.js';
export { parseVolumeSyntax, type VolumeSyntax } from '../syntax/volumes.js';
