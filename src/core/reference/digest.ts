import { DIGEST } from './grammar.js';
import { InvalidReferenceError } from './errors.js';

// go-digest's registered algorithms: the only ones a registry can verify.
const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_RE = new RegExp(`^${DIGEST}$`);

export interface Digest {
  readonly algorithm: string;
  readonly hex: string;
}

/** Parses `alg:hex` as go-digest's `Parse` does: a known algorithm and lowercase hex of its exact length. */
export function parseDigest(input: string): Digest {
  if (input.length > 200 || !DIGEST_RE.test(input)) {
    throw new InvalidReferenceError(input, 'invalid checksum digest format', 'digest');
  }
  const colon = input.indexOf(':');
  const algorithm = input.slice(0, colon);
  const hex = input.slice(colon + 1);
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) throw new InvalidReferenceError(input, 'unsupported digest algorithm', 'digest');
  if (!/^[a-f0-9]+$/.test(hex)) throw new InvalidReferenceError(input, 'invalid checksum digest format', 'digest');
  if (hex.length !== length) throw new InvalidReferenceError(input, 'invalid checksum digest length', 'digest');
  return { algorithm, hex };
}
