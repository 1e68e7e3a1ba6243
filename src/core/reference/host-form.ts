// Whether a registry host[:port] is written the way the connection will be
// made. Upstream URLs are built by WHATWG URL, which reads `127.1`,
// `0x7f.0.0.1`, `0177.0.0.1` and `2130706433` as 127.0.0.1, drops a port's
// leading zeros and the scheme's default port (`quay.io:443` is `quay.io`),
// while the rules match host text byte by byte as containers/image does
// (sysregistriesv2 refMatchingPrefix). A host written another way would be
// judged by the rules as one registry and contacted as another.

/** `host` as WHATWG URL writes it for `scheme`, or undefined when URL refuses it. */
function urlHost(host: string, scheme: 'https' | 'http'): string | undefined {
  try {
    return new URL(`${scheme}://${host}/`).host;
  } catch {
    return undefined;
  }
}

/**
 * Why `host` (already lower case) is not the form the connection uses, under
 * either scheme (an insecure registry may be tried over http), naming that
 * form; undefined when it is.
 */
export function respelledHost(host: string): string | undefined {
  for (const scheme of ['https', 'http'] as const) {
    const connected = urlHost(host, scheme);
    if (connected === host) continue;
    return connected === undefined ? 'is not a host a URL accepts' : `is reached as ${JSON.stringify(connected)} over ${scheme}`;
  }
  return undefined;
}
