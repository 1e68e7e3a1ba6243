import { describe, expect, it } from 'vitest';
import { BusyEndpoints } from '../../../src/pull/endpoint-state.js';
import { EndpointHealth } from '../../../src/pull/health.js';

function setup() {
  let now = 0;
  const clock = { now: () => now };
  const health = new EndpointHealth({ failureThreshold: 3, coolDownMs: 1000 }, clock);
  return { health, advance: (ms: number) => (now += ms) };
}

describe('circuit breaker', () => {
  it('opens after consecutive endpoint failures and skips the endpoint for the cool-down', () => {
    const { health, advance } = setup();
    for (let i = 0; i < 2; i++) health.failure('m1', 'refused');
    expect(health.state('m1')).toBe('closed');
    health.failure('m1', 'timeout');
    expect(health.state('m1')).toBe('open');
    expect(health.admit('m1')).toBe(false);
    advance(999);
    expect(health.admit('m1')).toBe(false);
    advance(1);
    expect(health.state('m1')).toBe('half-open');
  });

  it('half-open admits one probe; success closes, failure re-opens for another cool-down', () => {
    const { health, advance } = setup();
    for (let i = 0; i < 3; i++) health.failure('m1', 'status_5xx');
    advance(1000);
    expect(health.admit('m1')).toBe(true);
    expect(health.admit('m1')).toBe(false);
    health.failure('m1', 'refused');
    expect(health.state('m1')).toBe('open');
    advance(1000);
    expect(health.admit('m1')).toBe(true);
    health.success('m1', 12);
    expect(health.state('m1')).toBe('closed');
    expect(health.admit('m1')).toBe(true);
  });

  it('answers about content (404, auth, 429, content mirrorgate declines) do not open the circuit, and reset the failure count', () => {
    const { health } = setup();
    health.failure('m1', 'refused');
    health.failure('m1', 'refused');
    health.failure('m1', 'not_found');
    health.failure('m1', 'refused');
    expect(health.state('m1')).toBe('closed');
    for (const kind of ['not_found', 'auth', 'status_429', 'declined', 'rejected'] as const) for (let i = 0; i < 5; i++) health.failure('m2', kind);
    expect(health.state('m2')).toBe('closed');
  });

  it('keeps a moving latency average per endpoint', () => {
    const { health } = setup();
    health.success('m1', 100);
    health.success('m1', 200);
    expect(health.latency('m1')).toBe(120);
    expect(health.snapshot()).toEqual([{ endpoint: 'm1', state: 'closed', failures: 0, latencyMs: 120, lastOutcome: 'ok' }]);
  });
});

describe('bounded endpoint state', () => {
  it('the health table keeps at most maxEndpoints, the least recently used forgotten first', () => {
    const health = new EndpointHealth({ failureThreshold: 1, coolDownMs: 1000, maxEndpoints: 100 }, { now: () => 0 });
    health.failure('kept:1', 'refused');
    for (let i = 0; i < 5_000; i++) {
      health.failure(`10.0.${i >> 8}.${i & 255}:443`, 'refused');
      // Used all along, so never the least recently used.
      if (i % 50 === 0) health.admit('kept:1');
    }
    expect(health.size).toBe(100);
    expect(health.snapshot()).toHaveLength(100);
    expect(health.state('kept:1')).toBe('open');
    expect(health.state('10.0.0.0:443')).toBe('closed');
  });

  it('Retry-After memory is bounded the same way', () => {
    const busy = new BusyEndpoints({ now: () => 0 }, 100);
    for (let i = 0; i < 5_000; i++) busy.mark(`h${i}:443`, 60_000);
    expect(busy.size).toBe(100);
    expect(busy.remaining('h4999:443')).toBe(60_000);
  });
});

describe('a probe whose outcome never comes', () => {
  it('lapses after a cool-down, so the endpoint is probed again instead of being skipped for good', () => {
    const { health, advance } = setup();
    for (let i = 0; i < 3; i++) health.failure('m1', 'refused');
    advance(1000);
    expect(health.admit('m1')).toBe(true);
    // The probe's attempt is abandoned: neither success nor failure is ever recorded.
    advance(999);
    expect(health.admit('m1')).toBe(false);
    advance(1);
    expect(health.admit('m1')).toBe(true);
  });
});
