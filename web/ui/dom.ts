/** Small DOM helpers: elements by id with their type checked, and element building. */

/** The element with this id, which must exist and be of this type (the page's HTML and code belong together). */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page lacks #${id} (${type.name})`);
  return element;
}

type Attributes = Record<string, string | number | boolean | undefined>;

/** `el('li', { class: 'x' }, 'text', child)`: an element with attributes (false/undefined left out) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}
