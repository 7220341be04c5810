/**
 * Loads the project's native addon (native/build/Release/pqconnect_native.node, or the
 * build PQCONNECT_NATIVE_ADDON names — the test command's AddressSanitizer build) once.
 * Callers get either the module or the reason it could not be loaded, so features with a
 * portable fallback can choose it and say why.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type AddonResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const ADDON_RELATIVE = 'native/build/Release/pqconnect_native.node';
/** From src/ when run with tsx, from dist/src/ when run compiled. */
const CANDIDATES = ['../', '../../'].map((up) =>
  fileURLToPath(new URL(up + ADDON_RELATIVE, import.meta.url)),
);
let cached: AddonResult<unknown> | undefined;

export function loadNativeAddon<T>(): AddonResult<T> {
  if (cached === undefined) {
    const override = process.env.PQCONNECT_NATIVE_ADDON;
    const path = override ?? CANDIDATES.find((candidate) => existsSync(candidate));
    if (path === undefined) {
      cached = {
        ok: false,
        reason: `native addon not built (${ADDON_RELATIVE}); run npm run build:native`,
      };
    } else {
      try {
        cached = { ok: true, value: createRequire(import.meta.url)(path) };
      } catch (error) {
        cached = { ok: false, reason: `native addon failed to load: ${(error as Error).message}` };
      }
    }
  }
  return cached as AddonResult<T>;
}
