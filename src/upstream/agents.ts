// One undici Agent per TLS setting: keep-alive pools per origin, bounded
// connections, the configured timeouts. Extra CAs (additionalTrustedCA) are
// added to the system roots; insecure endpoints skip verification. Every
// agent connects through the address filter (./connect-guard.ts).
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { STRICT, type AddressPolicy } from './addresses.js';
import { guardedConnector, type NamedHost } from './connect-guard.js';

export interface Timeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
}

export interface TlsPolicy {
  readonly insecure: boolean;
  readonly ca?: string;
}

const CONNECTIONS_PER_ORIGIN = 64;

export class Agents {
  private readonly agents = new Map<string, Agent>();
  constructor(
    private readonly timeouts: Timeouts,
    /** Overrides for some upstream hosts (host[:port]). */
    /** Hosts that may be reached at any address; the rest only at public ones. */
    private readonly named: NamedHost,
    private readonly perEndpoint: ReadonlyMap<string, Timeouts> = new Map(),
    /** What the address filter lets through beyond public unicast. */
    private readonly addressPolicy: AddressPolicy = STRICT,
  ) {}

  /** The agent for a TLS policy, and for `domain` when that endpoint has timeouts of its own. */
  for(tls: TlsPolicy, domain?: string): Dispatcher {
    const own = domain === undefined ? undefined : this.perEndpoint.get(domain);
    const timeouts = own ?? this.timeouts;
    const key = `${tls.insecure}|${tls.ca ?? ''}|${own ? domain : ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({
        connections: CONNECTIONS_PER_ORIGIN,
        headersTimeout: timeouts.headersTimeoutMs,
        bodyTimeout: timeouts.bodyIdleTimeoutMs,
        connect: guardedConnector(
          {
            timeout: timeouts.connectTimeoutMs,
            rejectUnauthorized: !tls.insecure,
            ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}),
          },
          this.named,
          this.addressPolicy,
        ),
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}
