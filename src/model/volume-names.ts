import { randomHex } from '../random.js';

/** docker's rule for local volume names; also keeps them safe as one path component. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const VOLUME_NAME_RULE = '"[a-zA-Z0-9][a-zA-Z0-9_.-]"';

export function isValidVolumeName(name: string): boolean {
  return name.length <= 255 && NAME.test(name);
}

/** What docker names an anonymous volume (and `volume create` without a name): 64 random hex digits. */
export function randomVolumeName(): string {
  return randomHex(32);
}
