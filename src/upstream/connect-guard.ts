// The address filter, at connect time: every upstream connection (plan
// endpoints, redirect targets, token realms) goes through this connector.
// A host the rules name (host[:port] as written there, or matched by
// upstream.allow) connects as configured: an operator who names
// registry.internal:5000 means it. Any other host may resolve only to public
// addresses (./addresses.ts); the addresses checked are the ones connected to,
// because the check runs inside the socket's own DNS lookup (net's `lookup`
// hook) and IP literals are checked before the socket is made: no second DNS
// answer can slip in between (DNS rebinding).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { refusedAddress, STRICT, type AddressPolicy } from './addresses.js';

/** Whether the rules (or upstream.allow) name `host` (URL.host form: host, host:port, [v6]:port). */
export type NamedHost = (host: string) => boolean;

/** A connection refused by the address filter; classified as a failure like a refused connection. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
  readonly code = 'MIRRORGATE_ADDRESS_REFUSED';
}

const DEFAULT_PORT: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80' };

/** `host` as the rules may write it: with the port the URL left out when it is the default. */
export function namedAs(host: string, protocol: string, port: string | number | undefined, named: NamedHost): boolean {
  if (named(host.toLowerCase())) return true;
  const explicit = port === undefined || port === '' ? DEFAULT_PORT[protocol] : String(port);
  return explicit !== undefined && !host.endsWith(`:${explicit}`) && named(`${host.toLowerCase()}:${explicit}`);
}

const refusal = (host: string, address: string, reason: string) =>
  new AddressRefusedError(`${host} resolves to ${address} (${reason}); only hosts named by the rules or upstream.allow may be reached at such addresses`);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The resolver the filter asks: `dns.lookup` with `all: true` (tests give names their own answers). */
export type Resolve = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** A `dns.lookup` that fails when any address of the answer is refused. */
function checkedLookup(policy: AddressPolicy, resolve: Resolve) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.map((a) => [a.address, refusedAddress(a.address, policy)] as const).find(([, reason]) => reason !== undefined);
      if (bad) return callback(refusal(hostname, bad[0], bad[1] as string) as NodeJS.ErrnoException, []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

type ConnectorOptions = buildConnector.BuildOptions;

/** An undici connector that applies the address filter to hosts `named` does not name. */
export function guardedConnector(options: ConnectorOptions, named: NamedHost, policy: AddressPolicy = STRICT, resolve: Resolve = dnsLookup): buildConnector.connector {
  const open = buildConnector(options);
  const checked = buildConnector({ ...options, lookup: checkedLookup(policy, resolve) } as ConnectorOptions);
  return (opts, callback) => {
    if (namedAs(opts.host ?? opts.hostname, opts.protocol, opts.port, named)) return open(opts, callback);
    if (isIP(opts.hostname)) {
      const reason = refusedAddress(opts.hostname, policy);
      if (reason !== undefined) return void queueMicrotask(() => callback(refusal(opts.hostname, opts.hostname, reason), null));
    }
    return checked(opts, callback);
  };
}
