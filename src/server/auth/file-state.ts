// Which inbound auth files fail to load now, for /readyz and the metric
// mirrorgate_auth_file_valid (a failing file refuses every credential it held:
// watched-file.ts).
//
// A pull auth file that fails makes the replica not ready. It refuses those
// users (everyone, when it is the only file), and a readiness failure takes it
// out of the Service endpoints: where other replicas still load the file (a
// Secret update reaches nodes at different times, a permission or volume
// problem on one node) their pulls go there instead of getting 401 here; where
// every replica fails, no replica would have served those pulls anyway, and a
// client configured with fallback hosts (containerd hosts.toml, registries.conf
// mirrors) moves on at once instead of stopping at a 401. Liveness (/healthz)
// stays up: a restart would not mend the file, and a process that fails to
// start on it would crash-loop, where this one serves again (and logs it) the
// moment the file loads. The admin token file guards only /metrics and
// /status, so its failure is reported but leaves the replica ready.
import type { Access } from './access.js';

/** The setting that names each auth file: how /readyz and the metric name it. */
export const SETTING_OF = { htpasswd: 'auth.htpasswd', pullTokens: 'auth.tokens', adminTokens: 'admin.tokens' } as const;
export type AuthFileSetting = (typeof SETTING_OF)[keyof typeof SETTING_OF];

/** Told when an auth file starts failing to load (false) and when it loads again (true). */
export type AuthFileWatch = (setting: AuthFileSetting, loads: boolean) => void;

/** An auth file that fails to load now, by its setting; problems name lines, never content. */
export interface FailingAuthFile {
  readonly setting: AuthFileSetting;
  /** Whether pulls depend on it (the admin token file guards only the admin paths). */
  readonly pulls: boolean;
  readonly problems: readonly string[];
}

/** The settings of the auth files in use. */
export const authFileSettings = (access: Access): AuthFileSetting[] => (Object.keys(SETTING_OF) as (keyof Access)[]).filter((k) => access[k]).map((k) => SETTING_OF[k]);

/** The auth files that fail to load now, each re-read first if it changed (a stat when it did not). */
export async function failingAuthFiles(access: Access): Promise<FailingAuthFile[]> {
  const failing: FailingAuthFile[] = [];
  for (const key of Object.keys(SETTING_OF) as (keyof Access)[]) {
    const problems = await access[key]?.problems();
    if (problems) failing.push({ setting: SETTING_OF[key], pulls: key !== 'adminTokens', problems });
  }
  return failing;
}
