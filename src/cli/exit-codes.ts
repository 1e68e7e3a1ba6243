/** `mirrorgate` exit codes (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  usage: 1,
  invalidRules: 2,
  denied: 3,
  invalidReference: 4,
  /** healthcheck: the probe failed (Docker's HEALTHCHECK reads any non-zero as unhealthy). */
  unhealthy: 1,
} as const;
