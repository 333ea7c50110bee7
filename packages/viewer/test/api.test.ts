import { describe, expect, test } from 'bun:test';
import { ApiError, createApi, type Fetch } from '../src/api.ts';
import { MAGANET_TRAITS, VAE_TRAITS } from '@maga/model';
import { serverDecoder } from '../src/decoding/server.ts';
import { decodeImage, encodeImage } from '../src/lib/images.ts';

function fakeFetch(handler: (url: string, init?: RequestInit) => Response | Promise<Response>): { fetch: Fetch; calls: { url: string; body?: unknown }[] } {
  const calls: { url: string; body?: unknown }[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return handler(url, init);
    },
  };
}

describe('API client', () => {
  test('builds URLs and queries, and posts JSON', async () => {
    const f = fakeFetch(() => Response.json({ samples: [], index: 5, runs: [] }));
    const api = createApi('http://host', f.fetch);
    await api.samples({ split: 'to-range', part: 'test', count: 3, seed: undefined });
    await api.indexOf({ shape: 2, scale: 1, orientation: 0, posX: 3, posY: 4 });
    await api.runs();
    expect(f.calls.map((c) => c.url)).toEqual([
      'http://host/api/dataset/samples?split=to-range&part=test&count=3',
      'http://host/api/dataset/index?shape=2&scale=1&orientation=0&posX=3&posY=4',
      'http://host/api/runs',
    ]);
    await api.decode('a b', { pivot: 1, z: [[0]] });
    expect(f.calls[3]).toEqual({ url: 'http://host/api/runs/a%20b/decode', body: { pivot: 1, z: [[0]] } });
    expect(api.imagePngUrl(7)).toBe('http://host/api/dataset/images/7/png');
  });

  test('errors carry the server’s message and status', async () => {
    const api = createApi('', fakeFetch(() => Response.json({ error: "no run 'x'" }, { status: 404 })).fetch);
    const error = await api.run('x').catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(404);
    expect(error.message).toBe("GET /api/runs/x: no run 'x'");
    const plain = createApi('', fakeFetch(() => new Response('oops', { status: 502, statusText: 'Bad Gateway' })).fetch);
    expect((await plain.health().catch((e) => e)).message).toBe('GET /api/health: 502 Bad Gateway');
    const down = createApi('', async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = await down.runs().catch((x) => x);
    expect(e.status).toBe(0);
    expect(e.message).toContain('cannot be reached (Failed to fetch)');
  });

  test('checkpoint bytes', async () => {
    const api = createApi('', fakeFetch(() => new Response(Uint8Array.of(1, 2, 3))).fetch);
    expect(Array.from(await api.checkpoint('r'))).toEqual([1, 2, 3]);
  });
});

describe('server decoder', () => {
  const image = (v: number) => encodeImage({ width: 2, height: 1, pixels: Float32Array.of(v, v) });

  test('a VAE recombines by latent arithmetic through /encode and /decode', async () => {
    const f = fakeFetch((url, init) => {
      const body = JSON.parse(String(init?.body));
      if (url.endsWith('/encode')) return Response.json({ mu: [[1, 1], [3, 0], [10, 10]], logVar: [] });
      if (url.endsWith('/decode')) return Response.json({ images: body.z.map((z: number[]) => image(z[0])) });
      return Response.json({ error: 'unexpected' }, { status: 400 });
    });
    const d = serverDecoder(createApi('', f.fetch), 'vae-run', { model: 'vae', traits: VAE_TRAITS, latentDim: 2 });
    const r = await d.transfer({ pivot: 5, varying: 6 }, [7]);
    expect(r.z).toEqual([2, -1]);
    expect(f.calls[1].body).toEqual({ pivot: 5, z: [[12, 9]] });
    expect(r.images[0].pixels[0]).toBe(12);
    expect(d.groupLaws).toBeUndefined();
  });

  test('MAGANet calls map onto the API’s responses', async () => {
    const f = fakeFetch((url) => {
      if (url.endsWith('/reconstruct')) return Response.json({ images: [image(0.5)], z: [[0.1, 0.2]] });
      if (url.endsWith('/group-laws'))
        return Response.json({
          identity: { input: image(1), output: image(1), maxError: 0 },
          composition: { sequential: image(0.2), combined: image(0.3), maxError: 0.1 },
          // A NaN error reaches JSON as null.
          inverse: { roundTrip: image(0.9), maxError: null },
        });
      return Response.json({ z: [0], values: [[-1, 1]], images: [[image(0), image(1)]] });
    });
    const d = serverDecoder(createApi('', f.fetch), 'm', { model: 'maganet', traits: MAGANET_TRAITS, latentDim: 2 }, 'chosen by you');
    expect(d.label).toBe('decoding via the server');
    expect(d.note).toBe('chosen by you');
    const code = await d.code(3, 4);
    expect(code.z).toEqual([0.1, 0.2]);
    expect(f.calls[0].body).toEqual({ pivot: 3, indices: [4] });
    const laws = await d.groupLaws!(3, [1, 0], [0, 1]);
    expect(laws.compositionError).toBe(0.1);
    expect(laws.inverseError).toBeNaN();
    expect(laws.sequential.pixels[0]).toBeCloseTo(0.2, 6);
    const grid = await d.traverse(3, 4, 2, 2);
    expect(grid.images[0][1]).toEqual(decodeImage(image(1)));
  });
});
