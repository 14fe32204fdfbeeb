import { fileURLToPath } from 'node:url';

/**
 * The path of a native helper built from src/native/NAME.c by
 * scripts/build-native.mjs (dist/native/NAME beside this module's output).
 */
export function nativeTool(name: string): string {
  return fileURLToPath(new URL(`./native/${name}`, import.meta.url));
}
