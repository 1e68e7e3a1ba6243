// What an upstream said when it refused: the OCI error envelope
// (`{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached…"}]}`,
// distribution errcode), read under a small cap, reduced to one printable
// line. For the log and the attempt record only: a client never sees it.
// go-containerregistry reads error bodies under a cap too (transport/error.go).

import { flattenLineBreakers } from '../core/log-text.js';

const MAX_ERROR_BODY = 16 * 1024;
const MAX_SAID = 512;

/** Up to `limit` bytes of `body`; the rest is dropped with the connection. Never throws. */
export async function readErrorBody(body: AsyncIterable<Buffer>, limit = MAX_ERROR_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
      if (size >= limit) break; // leaving the loop destroys the stream
    }
  } catch {
    // A body that breaks while we read why the request failed adds nothing.
  }
  return Buffer.concat(chunks);
}

// C0/C1 controls and line breaks: a log line stays one line.
const printable = (s: string) => scrubCredentials(flattenLineBreakers(s)).trim().slice(0, MAX_SAID);

/**
 * What looks like a credential, in text an upstream sent: the access line
 * quoting it is written without redaction, and a registry (or a proxy before
 * it) may echo the request back, our Authorization header included. Scrubbed
 * before the text is cut, so no cut leaves a credential's tail behind.
 */
const CREDENTIALS: readonly [RegExp, string][] = [
  // An Authorization value: `Basic dXNlcjpwYXNz`, `Bearer <token>`.
  [/\b(basic|bearer)(\s+|%20|\+)[^\s"'<>,;]+/gi, '$1 [redacted]'],
  // A JWT anywhere (registry tokens are): three base64url parts, the first a JSON header.
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted]'],
  // A named secret: `password=…`, `"access_token": "…"`, `token: …`.
  [/\b((?:access_|refresh_|id_)?token|password|passwd|secret|api[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"'&,;<>}]+/gi, '$1$2[redacted]'],
];

function scrubCredentials(text: string): string {
  return CREDENTIALS.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

/** `CODE: message[; CODE: message]` from an OCI error envelope, else the start of the text; undefined when empty. */
export function summarizeErrorBody(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  let errors: unknown;
  try {
    errors = (JSON.parse(text) as { errors?: unknown }).errors;
  } catch {
    errors = undefined;
  }
  if (Array.isArray(errors)) {
    const parts = errors.slice(0, 4).map((e: { code?: unknown; message?: unknown }) => [e?.code, e?.message].filter((x) => typeof x === 'string').join(': '));
    const said = printable(parts.filter(Boolean).join('; '));
    if (said) return said;
  }
  return printable(text) || undefined;
}
