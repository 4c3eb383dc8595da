import { describe, expect, it } from 'vitest';
import { routeOf, searchAddress, traceAddress, traceIdOf } from '../../../ui/src/model/route.ts';

const BASE = new URL('https://api.example/prod/ui/');

describe('routeOf', () => {
  it.each([
    ['https://api.example/prod/ui/', 'search'],
    ['https://api.example/prod/ui/?service=a', 'search'],
    ['https://api.example/prod/ui/trace/abc123', 'trace'],
    ['https://api.example/prod/ui/dependencies?lookback=1h', 'dependencies'],
    ['https://api.example/prod/ui/trace/', 'unknown'],
    ['https://api.example/prod/ui/trace/a/b', 'unknown'],
    ['https://api.example/prod/ui/settings', 'unknown'],
  ])('%s is the %s page', (address, page) => {
    expect(routeOf(new URL(address), BASE).page).toBe(page);
  });

  it('reads the trace id of a trace address it made', () => {
    // Act
    const route = routeOf(traceAddress(BASE, 'a/b c%'), BASE);

    // Assess
    expect(route).toEqual({ page: 'trace', traceId: 'a/b c%' });
  });

  it('keeps a segment that is not valid percent-encoding as it is', () => {
    expect(routeOf(new URL('https://api.example/prod/ui/trace/%E0%A4%A'), BASE)).toEqual({
      page: 'trace',
      traceId: '%E0%A4%A',
    });
  });

  it('keeps the search parameters of a search address', () => {
    // Act
    const route = routeOf(searchAddress(BASE, new URLSearchParams({ service: 'x y' })), BASE);

    // Assess
    expect(route.page === 'search' && route.address.get('service')).toBe('x y');
  });
});

describe('traceIdOf', () => {
  it.each([
    ['  4BF92F3577B34DA6A3CE929D0E0E4736 ', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a3ce929d0e0e4736', 'a3ce929d0e0e4736'],
  ])('reads %j', (text, id) => {
    expect(traceIdOf(text)).toBe(id);
  });

  it.each(['', 'xyz', '4bf92f3577b34da6a3ce929d0e0e47361', '<script>'])('refuses %j', (text) => {
    expect(traceIdOf(text)).toBeUndefined();
  });
});
