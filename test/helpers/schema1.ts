// Schema-1 signed manifests as libtrust writes them (jsonsign.go
// NewJSONSignatureFromMap + PrettySignature), and the forgeries a hostile
// mirror can make of them when formatLength/formatTail are taken on trust.
import { createHash } from 'node:crypto';

export const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const b64url = (s: string) => Buffer.from(s).toString('base64url');
const sha256 = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

function signatures(formatLength: number, formatTail: string, indent = '   '): string {
  const protectedHeader = b64url(JSON.stringify({ formatLength, formatTail: b64url(formatTail), time: '2015-01-01T00:00:00Z' }));
  const sig = { header: { alg: 'ES256' }, signature: 'c2lnbmF0dXJl', protected: protectedHeader };
  return JSON.stringify([sig], null, indent).replace(/\n/g, `\n${indent}`);
}

/** A payload with three-space indent, signed in the pretty form: body, payload and its digest. */
export function signedSchema1(fields: Record<string, unknown>): { body: Buffer; payload: string; digest: string } {
  const payload = JSON.stringify({ schemaVersion: 1, ...fields }, null, 3);
  const formatLength = payload.length - 2;
  const body = `${payload.slice(0, formatLength)},\n   "signatures": ${signatures(formatLength, payload.slice(formatLength))}\n}`;
  return { body: Buffer.from(body), payload, digest: sha256(payload) };
}

/** Another manifest's body whose protected header claims `genuine`'s payload (formatLength 1, the rest in formatTail). */
export function tailForgery(genuine: string, evil: Record<string, unknown>): Buffer {
  const own = JSON.stringify({ schemaVersion: 1, ...evil }, null, 3);
  return Buffer.from(`${own.slice(0, own.length - 2)},\n   "signatures": ${signatures(1, genuine.slice(1))}\n}`);
}

/** The genuine payload's first member, then evil members, the genuine rest claimed by formatTail. */
export function splitForgery(genuine: string, evil: Record<string, unknown>): Buffer {
  const cut = genuine.indexOf(',');
  const extra = Object.entries(evil).map(([k, v]) => `,\n   ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('');
  return Buffer.from(`${genuine.slice(0, cut)}${extra},\n   "signatures": ${signatures(cut, genuine.slice(cut))}\n}`);
}
