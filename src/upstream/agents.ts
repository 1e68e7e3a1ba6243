// One undici Agent per TLS setting: keep-alive pools per origin, bounded
// connections, the configured timeouts. Extra CAs (additionalTrustedCA) are
// added to the system roots; insecure endpoints skip verification. Every
// agent connects through the address filter (./connect-guard.ts).
//
// The filter runs when a connection is made, and undici keeps connections
// alive: a socket opened while the rules named its host (so at any address)
// would be reused after a reload that stops naming it (red-team finding).
// So each TLS setting has two agents, and every request (each redirect hop
// and token fetch too) is dispatched by whether the rules in force name its
// origin now: named hosts to the agent whose pools may hold exempt
// connections, the rest to one whose every connection is filtered.
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { STRICT, type AddressPolicy } from './addresses.js';
import { guardedConnector, namedAs, type NamedHost } from './connect-guard.js';

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
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly agents: Agent[] = [];
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
    let dispatcher = this.dispatchers.get(key);
    if (!dispatcher) {
      const exempt = this.agent(tls, timeouts, this.named);
      const filtered = this.agent(tls, timeouts, () => false);
      dispatcher = exempt.compose((dispatch) => (opts, handler) => {
        const origin = new URL(String(opts.origin));
        return namedAs(origin.host, origin.protocol, origin.port, this.named) ? dispatch(opts, handler) : filtered.dispatch(opts, handler);
      });
      this.dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  private agent(tls: TlsPolicy, timeouts: Timeouts, named: NamedHost): Agent {
    const agent = new Agent({
      connections: CONNECTIONS_PER_ORIGIN,
      headersTimeout: timeouts.headersTimeoutMs,
      bodyTimeout: timeouts.bodyIdleTimeoutMs,
      connect: guardedConnector(
        {
          timeout: timeouts.connectTimeoutMs,
          rejectUnauthorized: !tls.insecure,
          ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}),
        },
        named,
        this.addressPolicy,
      ),
    });
    this.agents.push(agent);
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.close()));
    this.agents.length = 0;
    this.dispatchers.clear();
  }
}
