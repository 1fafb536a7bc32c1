/** Small DOM helpers: text goes in as text (never as HTML), so nothing a sender logs can become markup. */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; title?: string; data?: Record<string, string> } = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.title) element.title = props.title;
  for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value;
  for (const child of children) if (child) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => Boolean(c)));
}

/** "12:04:31" today, "2026-11-24 12:04" otherwise, in the browser's zone; the ISO time as tooltip. */
export function when(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  const text = sameDay ? date.toLocaleTimeString([], { hour12: false })
    : `${date.toLocaleDateString('sv-SE')} ${date.toLocaleTimeString([], { hour12: false, hour: '2-digit', minute: '2-digit' })}`;
  const element = h('time', { title: iso }, text);
  element.dateTime = iso;
  return element;
}

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function age(seconds: number): string {
  if (seconds < 90) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
