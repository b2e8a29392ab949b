import { describe, expect, it } from 'vitest';
import { coversKey, normalizeServerKey } from '../../src/slots/serverKey.js';

describe('normalizeServerKey', () => {
  const cases: ReadonlyArray<readonly [name: string, server: string, key: string]> = [
    ['removes credentials, which must not reach stats, logs or Redis', 'https://bot:s3cret@h.example.com/api?x=1', 'https://h.example.com/api'],
    ['removes a user name alone', 'http://bot@h.example.com:8080/', 'http://h.example.com:8080/'],
    // Query and fragment are removed, with their separators.
    ['removes the query and the fragment', 'https://h.example.com/api?s=1#x', 'https://h.example.com/api'],
    ['removes an empty query', 'https://h.example.com/api?', 'https://h.example.com/api'],
    ['removes an empty fragment', 'https://h.example.com/api#', 'https://h.example.com/api'],
    ['keeps a trailing slash of the path', 'https://h.example.com/api/?v=2', 'https://h.example.com/api/'],
    // WHATWG URL serialisation.
    ['adds the root path to a bare origin', 'https://h.example.com', 'https://h.example.com/'],
    ['lower-cases the scheme and host but not the path', 'HTTPS://H.Example.COM/Api', 'https://h.example.com/Api'],
    ['drops the default port of https', 'https://h.example.com:443/x', 'https://h.example.com/x'],
    ['drops the default port of http', 'http://h.example.com:80/x', 'http://h.example.com/x'],
    ['keeps a port that is not the default of its scheme', 'http://h.example.com:443/x', 'http://h.example.com:443/x'],
    ['keeps a non-default port', 'https://h.example.com:8443/x', 'https://h.example.com:8443/x'],
    ['resolves dot segments', 'https://h/api/../v1', 'https://h/v1'],
    ['percent-encodes a space in the path', 'https://h/a b', 'https://h/a%20b'],
    ['encodes an international host as punycode', 'https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['drops the default port of an IPv6 host', 'http://[::1]:80/x', 'http://[::1]/x'],
    ['keeps the host case of a non-special scheme', 'redis://Host:6379/0?db=1', 'redis://Host:6379/0'],
    // Strings that are not URLs are their own key, unchanged.
    ['leaves a plain name unchanged', 'gpu-1', 'gpu-1'],
    ['leaves a plain name unchanged, case included', 'GPU-1', 'GPU-1'],
    ['leaves host:port without a scheme unchanged', 'localhost:8080', 'localhost:8080'],
    ['leaves a scheme-less path with a query unchanged', 'h.example.com/api?x=1', 'h.example.com/api?x=1'],
    ['leaves an unparsable URL unchanged', 'http://exa mple.com/?q', 'http://exa mple.com/?q'],
    ['leaves a scheme without a host unchanged', 'http://', 'http://'],
  ];

  for (const [name, server, key] of cases) {
    it(`should normalise: ${name}`, () => {
      expect(normalizeServerKey(server)).toBe(key);
    });
  }

  it('should be idempotent', () => {
    for (const [, server] of cases) {
      const key = normalizeServerKey(server);
      expect(normalizeServerKey(key)).toBe(key);
    }
  });

  it('should give the spellings of one server one key', () => {
    const spellings = ['https://h.example.com', 'https://h.example.com/', 'HTTPS://H.EXAMPLE.COM:443', 'https://h.example.com/?a=1#b'];

    expect(new Set(spellings.map(normalizeServerKey))).toEqual(new Set(['https://h.example.com/']));
  });
});

describe('coversKey', () => {
  const cases: ReadonlyArray<readonly [prefix: string, key: string, covers: boolean]> = [
    // Exact keys.
    ['https://h/api', 'https://h/api', true],
    ['gpu-1', 'gpu-1', true],
    // Path-segment boundaries.
    ['https://h/api', 'https://h/api/v1', true],
    ['https://h/api', 'https://h/api/v1/deep', true],
    ['https://h/api/', 'https://h/api/v1', true],
    ['https://h/api', 'https://h/api2', false],
    ['https://h/api', 'https://h/api-v2/x', false],
    ['https://h/api/v1', 'https://h/api', false],
    ['https://h/api', 'https://h/ap', false],
    // Host boundaries.
    ['http://b', 'http://bad.example', false],
    ['http://b/', 'http://bad.example/', false],
    ['https://h', 'https://h.evil.example/', false],
    ['http://b/', 'http://b/x', true],
    ['http://b', 'http://b/', true],
    // A bare host may be followed by its port; a path may not.
    ['http://b', 'http://b:8080/', true],
    ['redis://h', 'redis://h:6379', true],
    ['https://h/api', 'https://h/api:x', false],
    // Plain names match only exactly.
    ['gpu', 'gpu-1', false],
    ['gpu', 'gpu/1', false],
    ['gpu', 'gpu:1', false],
  ];

  for (const [prefix, key, covers] of cases) {
    it(`should ${covers ? '' : 'not '}let ${JSON.stringify(prefix)} cover ${JSON.stringify(key)}`, () => {
      expect(coversKey(prefix, key)).toBe(covers);
    });
  }
});
