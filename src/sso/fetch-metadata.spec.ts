import { allowsSignInLanding, type FetchMetadata } from './fetch-metadata.js';

const get = (site?: string, mode?: string, dest?: string): FetchMetadata => ({
  method: 'GET',
  site,
  mode,
  dest,
});

describe('allowsSignInLanding', () => {
  it.each([
    ['no Fetch Metadata at all (curl, an old browser)', get()],
    ["Node's fetch: Sec-Fetch-Mode cors, no Sec-Fetch-Site", get(undefined, 'cors', 'empty')],
    ['typed in the address bar', get('none', 'navigate', 'document')],
    ['a same-origin fetch()', get('same-origin', 'cors', 'empty')],
    ['a same-origin <embed>', get('same-origin', 'navigate', 'embed')],
    ['a same-site iframe', get('same-site', 'navigate', 'iframe')],
    ['a cross-site link (top-level document)', get('cross-site', 'navigate', 'document')],
  ])('allows %s, framed or not', (_, request) => {
    expect(allowsSignInLanding(request, false)).toBe(true);
    expect(allowsSignInLanding(request, true)).toBe(true);
  });

  it.each(['iframe', 'frame'])('allows a cross-site %s only when FRAME_ANCESTORS allows framing', (dest) => {
    expect(allowsSignInLanding(get('cross-site', 'navigate', dest), true)).toBe(true);
    expect(allowsSignInLanding(get('cross-site', 'navigate', dest), false)).toBe(false);
  });

  it.each([
    ['<embed>', get('cross-site', 'navigate', 'embed')],
    ['<object>', get('cross-site', 'navigate', 'object')],
    ['<img>', get('cross-site', 'no-cors', 'image')],
    ['<script>', get('cross-site', 'no-cors', 'script')],
    ['fetch()', get('cross-site', 'cors', 'empty')],
    ['a navigation without Sec-Fetch-Dest', get('cross-site', 'navigate', undefined)],
    ['a navigation to a destination we do not know', get('cross-site', 'navigate', 'fencedframe')],
    ['an iframe load that is not a navigation', get('cross-site', 'no-cors', 'iframe')],
    ['a POST form navigation', { ...get('cross-site', 'navigate', 'document'), method: 'POST' }],
    ['an unknown Sec-Fetch-Site', get('elsewhere', 'cors', 'empty')],
    ['a repeated Sec-Fetch-Site', get('same-origin, cross-site', 'no-cors', 'image')],
    ['an upper-case value (not what a browser sends)', get('Same-Origin', 'cors', 'empty')],
  ])('refuses a cross-site %s, framed or not', (_, request) => {
    expect(allowsSignInLanding(request, false)).toBe(false);
    expect(allowsSignInLanding(request, true)).toBe(false);
  });
});
