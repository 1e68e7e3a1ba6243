import { readFileSync } from 'node:fs';

/** The version in package.json, which sits two levels up from both src/cli and dist/cli (and in the image's /app). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
