import { clientAddressKey } from './client-address.js';

describe('clientAddressKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['192.0.2.1:51234', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:201', '192.0.2.1'],
    ['[::ffff:192.0.2.1]:443', '192.0.2.1'],
    ['2001:db8:7:7::1', '2001:db8:7:7::/64'],
    ['2001:db8:7:7::2', '2001:db8:7:7::/64'],
    ['2001:0DB8:0007:0007:0000:0000:0000:0001', '2001:db8:7:7::/64'],
    ['[2001:db8:7:7:ffff::9]:8443', '2001:db8:7:7::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:7:8::1', '2001:db8:7:8::/64'],
  ])('%s → %s', (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });

  it('keeps anything that is not an address as it is, bounded', () => {
    expect(clientAddressKey('unknown')).toBe('unknown');
    expect(clientAddressKey('x'.repeat(500))).toHaveLength(64);
  });
});
