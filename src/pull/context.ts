import type { ByteGate } from './bounded-json.js';
import type { Clock } from '../upstream/auth/tokens.js';
import type { UpstreamClient, Target } from '../upstream/client.js';
import type { StallWatch, Timers } from '../upstream/stall.js';
import type { Affinity, BusyEndpoints } from './endpoint-state.js';
import type { HashPool } from './hash-worker.js';
import type { HedgeProbes } from './probes.js';
import type { EndpointHealth } from './health.js';

interface HedgeSettings {
  readonly mode: 'off' | 'fixed' | 'adaptive';
  readonly delayMs: number;
  readonly minDelayMs: number;
}

/** What every pull operation shares: built once in main, passed in. */
export interface PullContext {
  readonly client: UpstreamClient;
  readonly busy: BusyEndpoints;
  readonly affinity: Affinity;
  readonly health: EndpointHealth;
  readonly hedge: HedgeSettings;
  /** Hedge losers left to finish as their endpoint's health probe, one per endpoint. */
  readonly probes: HedgeProbes;
  readonly clock: Clock;
  /** Timers on the same clock, for deadlines and watchdogs. */
  readonly timers: Timers;
  /** Watches upstream blob bodies so a dripping mirror counts as a stall. */
  readonly stall: StallWatch;
  /** upstream.pull_deadline_ms: an endpoint that alone took half of it is judged too slow (failure.ts slowEndpoint). */
  readonly pullDeadlineMs: number;
  readonly maxManifestBytes: number;
  /** Serve deprecated schema-1 manifests (upstream.allow_schema1). */
  readonly allowSchema1: boolean;
  /** Bounds the bytes of manifest bodies held for reading and verification at once. */
  readonly manifestBuffer: ByteGate;
  /** Hashes large blobs on worker threads. */
  readonly hashing: HashPool;
}

/** One endpoint of a walk: where to send the request and what to ask for there. */
export interface Candidate {
  readonly target: Target;
  readonly role: 'mirror' | 'source';
  /** The tag or digest at that endpoint. */
  readonly reference: string;
  /** The physical reference, for logs and error details. */
  readonly label: string;
}
