/** Which part of a reference was wrong; the proxy maps it to an OCI code (NAME_INVALID, MANIFEST_INVALID…). */
export type ReferencePart = 'name' | 'tag' | 'digest' | 'reference';

/** A string that is not a valid image reference, with the reason containers/image would give. */
export class InvalidReferenceError extends Error {
  override readonly name = 'InvalidReferenceError';
  constructor(
    readonly input: string,
    readonly reason: string,
    readonly part: ReferencePart = 'reference',
  ) {
    super(`invalid reference ${JSON.stringify(input)}: ${reason}`);
  }
}
