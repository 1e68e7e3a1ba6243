// Docker schema 1 signed manifests ("prettyjws"). Their digest covers the
// payload, the manifest without its signatures. libtrust writes the signed
// form as `payload[:formatLength] + "," + ["\n" + indent] + "\"signatures\": " +
// <array> + ["\n"] + "}"` and records formatLength and formatTail in every
// protected header (docker/libtrust jsonsign.go NewJSONSignature,
// PrettySignature, ParsePrettySignature); containers/image manifest.Digest
// hashes ParsePrettySignature(...).Payload(). ParsePrettySignature takes
// formatLength/formatTail on trust, so an upstream could cut the body anywhere
// and put a genuine payload in formatTail: its fsLayers would say anything
// under a genuine digest. Here the payload is derived from the body instead:
// the body must be exactly its payload's head followed by one last top-level
// member "signatures", and the tail may only be the closing brace and white
// space. Anything else is a digest mismatch.
import { ownFailure } from '../upstream/failure.js';
import { containerEnd, parseUpstreamJson } from './bounded-json.js';

const mismatch = (why: string) => ownFailure('digest_mismatch', `schema-1 manifest: ${why}`);
const fromBase64Url = (s: string): Buffer => Buffer.from(s, 'base64url');
/** Go's unicode.IsSpace on the ASCII range (a superset of JSON's white space; the body has parsed as JSON). */
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
const TAIL = /^[ \t\n\r\v\f]*\}[ \t\n\r\v\f]*$/;
const SIGNATURES_KEY = Buffer.from('"signatures"');

/** The format every signature's protected header states; they must agree (libtrust "conflicting format length"). */
function statedFormat(signatures: unknown): { length: number; tail: Buffer } {
  if (!Array.isArray(signatures) || signatures.length === 0) throw mismatch('no signatures');
  let format: { length: number; tail: Buffer } | undefined;
  for (const sig of signatures as { protected?: unknown }[]) {
    if (typeof sig?.protected !== 'string') throw mismatch('a signature has no protected header');
    const header = parseUpstreamJson(fromBase64Url(sig.protected), 'schema-1 protected header') as { formatLength?: unknown; formatTail?: unknown } | null;
    if (!Number.isSafeInteger(header?.formatLength) || typeof header?.formatTail !== 'string') throw mismatch('a protected header lacks formatLength or formatTail');
    const stated = { length: header.formatLength as number, tail: fromBase64Url(header.formatTail) };
    if (format && (format.length !== stated.length || !format.tail.equals(stated.tail))) throw mismatch('signatures disagree on the format');
    format = stated;
  }
  return format as { length: number; tail: Buffer };
}

/** Where the payload's head ends: the comma before the last top-level member, which must be "signatures". */
function payloadHeadEnd(body: Buffer): number {
  let i = skipSpace(body, 0);
  let comma = -1;
  let commaBeforeLast = -1;
  let lastKey = -1;
  i = skipSpace(body, i + 1);
  // Members of the top-level object; the body already parsed as JSON, so each step is well formed and advances.
  while (body[i] === 0x22) {
    lastKey = i;
    commaBeforeLast = comma;
    i = skipSpace(body, stringEnd(body, i)); // at ':'
    i = skipSpace(body, skipValue(body, skipSpace(body, i + 1)));
    if (body[i] !== 0x2c) break;
    comma = i;
    i = skipSpace(body, i + 1);
  }
  if (lastKey < 0 || commaBeforeLast < 0 || !body.subarray(lastKey, lastKey + SIGNATURES_KEY.length).equals(SIGNATURES_KEY)) {
    throw mismatch('"signatures" is not its last member');
  }
  return commaBeforeLast;
}

function stringEnd(body: Buffer, start: number): number {
  for (let i = start + 1; i < body.length; i++) {
    if (body[i] === 0x5c) i++;
    else if (body[i] === 0x22) return i + 1;
  }
  return body.length;
}

function skipSpace(body: Buffer, i: number): number {
  while (isSpace(body[i])) i++;
  return i;
}

/** The end of the value starting at `i` (the body already parsed as JSON, so it is well formed). */
function skipValue(body: Buffer, i: number): number {
  const b = body[i];
  if (b === 0x22) return stringEnd(body, i);
  if (b === 0x5b || b === 0x7b) return containerEnd(body, i);
  while (i < body.length && !isSpace(body[i]) && body[i] !== 0x2c && body[i] !== 0x7d && body[i] !== 0x5d) i++;
  return i;
}

/**
 * The signed payload of a schema-1 body: its head up to the comma before
 * "signatures", plus the stated tail. Throws `digest_mismatch` when the
 * body is not the pretty-signed form of that payload.
 */
export function schema1Payload(body: Buffer): Buffer {
  const doc = parseUpstreamJson(body, 'schema-1 manifest') as { signatures?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw mismatch('not a JSON object');
  const format = statedFormat(doc.signatures);
  const head = payloadHeadEnd(body);
  if (format.length !== head) throw mismatch(`formatLength ${format.length} does not end the payload (${head})`);
  if (!TAIL.test(format.tail.toString('latin1'))) throw mismatch('formatTail is more than the closing brace');
  if (isSpace(body[head - 1])) throw mismatch('the payload head ends in white space');
  return Buffer.concat([body.subarray(0, head), format.tail]);
}
