// The resources the rules API serves and their schemas, taken from the API
// documents in shared/seeds (000-004: ImageTagMirrorSet, ImageDigestMirrorSet,
// ImageContentPolicy, Image) and openshift/api for ImageContentSourcePolicy.
// One table feeds field validation, discovery and OpenAPI, so kubectl's view
// of the types and the validator's can't drift apart.

export interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'boolean' | 'integer';
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly enum?: readonly string[];
  /** Objects whose content is free-form (metadata is checked by its own rules). */
  readonly preserveUnknown?: boolean;
}

export interface Resource {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly hasStatus: boolean;
  readonly schema: Schema;
}

const str = (description: string): Schema => ({ type: 'string', description });
const strings = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' } });
const obj = (description: string, properties: Record<string, Schema>, required?: string[]): Schema => ({ type: 'object', description, properties, ...(required ? { required } : {}) });

const policy: Schema = { type: 'string', description: 'mirrorSourcePolicy defines the fallback policy if fails to pull image from the mirrors.', enum: ['NeverContactSource', 'AllowContactingSource'] };
const source = str('source matches the repository that users refer to, e.g. in image pull specifications: host[:port], host[:port]/namespace[/namespace…][/repo], or [*.]host.');
const mirrors = strings('mirrors is zero or more locations that may also contain the same images, in priority order.');

const mirrorSet = (field: string, kind: string, by: string): Schema =>
  obj(`spec holds user settable values for configuration`, {
    [field]: { type: 'array', description: `${field} allows images referenced by ${by} in pods to be pulled from alternative mirrored repository locations.`, items: obj(`${kind} entry: one source and its mirrors.`, { source, mirrors, mirrorSourcePolicy: policy }, ['source']) },
  });

const repositoryDigestMirrors = (withTags: boolean): Schema =>
  obj('spec holds user settable values for configuration', {
    repositoryDigestMirrors: {
      type: 'array',
      description: 'repositoryDigestMirrors allows images referenced by image digests in pods to be pulled from alternative mirrored repository locations.',
      items: obj('RepositoryDigestMirrors holds cluster-wide information about how to handle mirrors in the registries config.', { source, mirrors, ...(withTags ? { allowMirrorByTags: { type: 'boolean', description: 'allowMirrorByTags if true, the mirrors can be used to pull the images that are referenced by their tags.' } } : {}) }, ['source']),
    },
  });

const imageSpec = obj('spec holds user settable values for configuration', {
  allowedRegistriesForImport: { type: 'array', description: 'allowedRegistriesForImport limits the container image registries that normal users may import images from.', items: obj('RegistryLocation contains a location of the registry specified by the registry domain name.', { domainName: str('domainName specifies a domain name for the registry.'), insecure: { type: 'boolean', description: 'insecure indicates whether the registry is secure (https) or insecure (http).' } }) },
  externalRegistryHostnames: strings('externalRegistryHostnames provides the hostnames for the default external image registry.'),
  additionalTrustedCA: obj('additionalTrustedCA is a reference to a ConfigMap containing additional CAs that should be trusted during imagestream import, pod image pull, build image pull, and imageregistry pullthrough.', { name: str('name is the metadata.name of the referenced config map') }, ['name']),
  registrySources: obj('registrySources contains configuration that determines how the container runtime should treat individual registries when accessing images for builds+pods.', {
    insecureRegistries: strings('insecureRegistries are registries which do not have a valid TLS certificates or only support HTTP connections.'),
    blockedRegistries: strings('blockedRegistries cannot be used for image pull and push actions. All other registries are permitted.'),
    allowedRegistries: strings('allowedRegistries are the only registries permitted for image pull and push actions. All other registries are denied.'),
    containerRuntimeSearchRegistries: strings('containerRuntimeSearchRegistries are registries that will be searched when pulling images that do not have fully qualified domains in their pull specs.'),
  }),
});

const imageStatus = obj('status contains the observed state of the resource.', {
  internalRegistryHostname: str('internalRegistryHostname sets the hostname for the default internal image registry.'),
  externalRegistryHostnames: strings('externalRegistryHostnames provides the hostnames for the default external image registry.'),
});

const top = (description: string, spec: Schema, status?: Schema): Schema => ({
  type: 'object',
  description,
  required: ['spec'],
  properties: {
    apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
    kind: str('Kind is a string value representing the REST resource this object represents.'),
    metadata: { type: 'object', description: 'Standard object metadata.', preserveUnknown: true },
    spec,
    ...(status ? { status } : {}),
  },
});

const emptyStatus = obj('status contains the observed state of the resource.', {});
const config = 'config.openshift.io';

export const RESOURCES: readonly Resource[] = [
  { group: config, version: 'v1', kind: 'ImageDigestMirrorSet', plural: 'imagedigestmirrorsets', singular: 'imagedigestmirrorset', hasStatus: true, schema: top('ImageDigestMirrorSet holds cluster-wide information about how to handle registry mirror rules on using digest pull specification.', mirrorSet('imageDigestMirrors', 'ImageDigestMirrors', 'image digests'), emptyStatus) },
  { group: config, version: 'v1', kind: 'ImageTagMirrorSet', plural: 'imagetagmirrorsets', singular: 'imagetagmirrorset', hasStatus: true, schema: top('ImageTagMirrorSet holds cluster-wide information about how to handle registry mirror rules on using tag pull specification.', mirrorSet('imageTagMirrors', 'ImageTagMirrors', 'image tags'), emptyStatus) },
  { group: config, version: 'v1', kind: 'ImageContentPolicy', plural: 'imagecontentpolicies', singular: 'imagecontentpolicy', hasStatus: true, schema: top('ImageContentPolicy holds cluster-wide information about how to handle registry mirror rules.', repositoryDigestMirrors(true), emptyStatus) },
  { group: config, version: 'v1', kind: 'Image', plural: 'images', singular: 'image', hasStatus: true, schema: top('Image governs policies related to imagestream imports and runtime configuration for external registries.', imageSpec, imageStatus) },
  { group: 'operator.openshift.io', version: 'v1alpha1', kind: 'ImageContentSourcePolicy', plural: 'imagecontentsourcepolicies', singular: 'imagecontentsourcepolicy', hasStatus: false, schema: top('ImageContentSourcePolicy holds cluster-wide information about how to handle registry mirror rules.', repositoryDigestMirrors(false)) },
];

export const apiVersionOf = (r: Resource): string => `${r.group}/${r.version}`;
export const groups = (): string[] => [...new Set(RESOURCES.map((r) => r.group))];
export const resourcesOf = (group: string, version: string): Resource[] => RESOURCES.filter((r) => r.group === group && r.version === version);
