// Decoded rule objects, one type per input kind, each carrying its origin.
import type { Origin } from '../rules/model.js';

export type MirrorSourcePolicy = 'NeverContactSource' | 'AllowContactingSource';

export type MirrorSetKind = 'ImageDigestMirrorSet' | 'ImageTagMirrorSet' | 'ImageContentSourcePolicy' | 'ImageContentPolicy';

export interface MirrorSetEntry {
  readonly source: string;
  readonly mirrors: readonly string[];
  readonly policy?: MirrorSourcePolicy;
  /** ImageContentPolicy only. */
  readonly allowMirrorByTags?: boolean;
  readonly origin: Origin;
  /** Field path of the entry inside its object, e.g. `spec.imageDigestMirrors[2]`. */
  readonly path: string;
}

export interface MirrorSetObject {
  readonly kind: MirrorSetKind;
  readonly origin: Origin;
  readonly entries: readonly MirrorSetEntry[];
}

export interface ImageConfigObject {
  readonly kind: 'Image';
  readonly origin: Origin;
  readonly allowedRegistries?: readonly string[];
  readonly blockedRegistries?: readonly string[];
  readonly insecureRegistries: readonly string[];
  readonly searchRegistries?: readonly string[];
  readonly importAllow?: readonly { domainName: string; insecure: boolean }[];
  readonly additionalTrustedCA?: string;
}

export interface ConfigMapObject {
  readonly kind: 'ConfigMap';
  readonly origin: Origin;
  readonly name: string;
  readonly namespace?: string;
  /** Values as the machine-config operator reads them: `binaryData` and base64 `data` decoded. */
  readonly entries: ReadonlyMap<string, string>;
}

export interface ClusterVersionObject {
  readonly kind: 'ClusterVersion';
  readonly origin: Origin;
  /** The release image: the payload repository the cluster refuses to block without a mirror. */
  readonly releaseImage?: string;
}

export interface RawRegistry {
  readonly prefix: string;
  readonly location: string;
  readonly insecure: boolean;
  readonly blocked: boolean;
  readonly mirrorByDigestOnly: boolean;
  readonly pullFromMirror: string;
  readonly mirrors: readonly { location: string; insecure: boolean; pullFromMirror: string }[];
}

export interface RegistriesConfFile {
  readonly kind: 'registries.conf';
  readonly origin: Origin;
  readonly registries: readonly RawRegistry[];
  /** Undefined when the file does not set the key (a drop-in then keeps the earlier list). */
  readonly searchRegistries?: readonly string[];
}

export type RuleObject = MirrorSetObject | ImageConfigObject | ConfigMapObject | ClusterVersionObject | RegistriesConfFile;
