/** A service's name in its colour (the same hue in every view), with an optional count. */
import { el, hueOf } from './dom.ts';

export function serviceChip(service: string, count?: number): HTMLElement {
  const chip = el(
    'span',
    { class: 'chip' },
    service,
    count === undefined ? '' : el('span', { class: 'chip-count' }, String(count)),
  );
  chip.style.setProperty('--hue', String(hueOf(service)));
  return chip;
}
