/**
 * Building the page without HTML: every element is created by name and every text, trace data
 * above all, enters as a text node or an attribute value. Nothing here (or anywhere in the UI)
 * assigns HTML (the markup setters and parsers), so a span name like `<img onerror=…>` is
 * shown as those characters and never parsed. Event handlers are attached as functions; an
 * attribute named `on…` is refused outright.
 */

export type Child = Node | string | number | false | null | undefined;

export interface Attributes {
  readonly [name: string]: string | number | boolean | undefined;
}

export interface Listeners {
  readonly [event: string]: (event: Event) => void;
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name)) throw new Error(`refusing an event-handler attribute: ${name}`);
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

function appendChildren(element: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

/** An HTML element with attributes, listeners and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

/** Adds listeners to an element and gives it back, for building in one expression. */
export function on<E extends Element>(element: E, listeners: Listeners): E {
  for (const [event, listener] of Object.entries(listeners)) element.addEventListener(event, listener);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element (drawn charts); the same rules as `el`. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  appendChildren(element, children);
  return element;
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  appendChildren(parent, children);
}

/**
 * A stable hue for a service name, so a service keeps its colour across views. Reds (above 340°
 * and below 25°) are left to errors.
 */
export function hueOf(service: string): number {
  let hash = 2166136261;
  for (let i = 0; i < service.length; i++) {
    hash ^= service.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return 25 + ((hash >>> 0) % 315);
}
