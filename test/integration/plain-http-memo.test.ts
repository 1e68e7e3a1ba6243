// The upstream client remembers which insecure hosts answered over plain HTTP
// (so https is not tried first every time), in a bounded memo: in open mode
// the hosts are the clients' choice. Driven at the client level with a memo of
// one host, counting the connections each request makes.
import { describe, expect, it } from 'vitest';
import { Agents } from '../../src/upstream/agents.js';
import { TokenCache } from '../../src/upstream/auth/tokens.js';
import { UpstreamClient, discard } from '../../src/upstream/client.js';
import { hostileServer } from '../fakes/hostile.js';
import { useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
// One connection per request: each request's connections can be counted.
const plainRegistry = () => serve(hostileServer((_req, res) => void res.writeHead(200, { connection: 'close', 'content-type': 'application/json' }).end('{}')));

describe('plain-HTTP memo', () => {
  it('is bounded: a host pushed out is asked over https first again', async () => {
    const [a, b] = [await plainRegistry(), await plainRegistry()];
    const agents = new Agents({ connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyIdleTimeoutMs: 1000 }, () => true);
    later(() => agents.close());
    const clock = { now: () => 0 };
    const client = new UpstreamClient(agents, new TokenCache((tls) => agents.for(tls), clock), () => undefined, { wall: clock, maxRetryAfterMs: 1000, memoSize: 1 });
    const get = async (domain: string) => discard((await client.request({ domain, repository: 'x', insecure: true }, 'GET', '/v2/', {})).body);
    const cost = async (server: typeof a) => {
      const before = server.connections;
      await get(server.host);
      return server.connections - before;
    };
    expect(await cost(a)).toBe(2); // https refused by a plain server, then http
    expect(await cost(a)).toBe(1); // remembered
    expect(await cost(b)).toBe(2); // b takes the one place
    expect(await cost(a)).toBe(2); // a was pushed out
  });
});
