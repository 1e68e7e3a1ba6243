// Image.spec.additionalTrustedCA -> per-registry CA bundles (MCO
// pkg/operator/sync.go `getImageRegistryBundles`: a ConfigMap key is a host,
// with `..` standing for `:`, e.g. `registry.example.com..5000`).
import type { ConfigMapObject, ImageConfigObject } from '../formats/objects.js';
import type { DiagnosticSink } from './diagnostics.js';
import type { TrustedCA } from './model.js';

const CONFIG_NAMESPACE = 'openshift-config';

export function trustedCAs(image: ImageConfigObject | undefined, configMaps: readonly ConfigMapObject[], sink: DiagnosticSink): Map<string, TrustedCA> {
  const cas = new Map<string, TrustedCA>();
  const name = image?.additionalTrustedCA;
  if (!image || name === undefined) return cas;
  const configMap = configMaps.find((cm) => cm.name === name && (cm.namespace ?? CONFIG_NAMESPACE) === CONFIG_NAMESPACE);
  const imageSink = sink.withOrigin(image.origin);
  if (!configMap) {
    imageSink.error('spec.additionalTrustedCA.name', `ConfigMap ${JSON.stringify(name)} (namespace ${CONFIG_NAMESPACE}) is not among the rule inputs`);
    return cas;
  }
  const cmSink = sink.withOrigin(configMap.origin);
  for (const [key, pem] of configMap.entries) {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      cmSink.error(`data.${key}`, 'expected a PEM bundle with at least one "-----BEGIN CERTIFICATE-----" block');
      continue;
    }
    const host = key.replaceAll('..', ':');
    cas.set(host, { host, pem, origin: configMap.origin });
  }
  return cas;
}
