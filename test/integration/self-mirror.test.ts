// server.advertise: a mirror at one of mirrorgate's own addresses (as the
// ImageDigestMirrorSets of `generate openshift` list it, read back from the
// cluster) is never contacted; the pull goes to the next mirror.
import { describe, expect, it } from 'vitest';
import { makeImage } from '../../src/bench/test-image.js';
import { useTwoMirrors } from '../helpers/two-mirrors.js';

const image = makeImage(11);
const scene = useTwoMirrors(image);

describe('mirrorgate listed as its own mirror', () => {
  it('skips the mirror at an advertised address, for manifests and blobs', async () => {
    // m1 plays mirrorgate itself: the first mirror of the rules, at an advertised address.
    const p = await scene.start({ server: { listen: ['127.0.0.1:0'], advertise: [scene.m1.host.toUpperCase()] } });
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    expect((await p.get(`/v2/src/ns/app/manifests/${image.manifestDigest}`)).status).toBe(200);
    expect((await p.get(`/v2/src/ns/app/blobs/${image.layers[0]?.digest}`)).status).toBe(200);
    expect(scene.m1.count('/v2/')).toBe(0);
    expect(scene.m2.count('/manifests/')).toBe(2);
    expect(p.attemptsFor('/v2/src/ns/app/manifests/v1').flat().map((a) => a.endpoint)).toEqual([`${scene.m2.host}/ns/app:v1`]);
  });

  it('without the setting the same rules use that mirror first', async () => {
    const p = await scene.start();
    expect((await p.get('/v2/src/ns/app/manifests/v1')).status).toBe(200);
    expect(scene.m1.count('/manifests/')).toBe(1);
  });
});
