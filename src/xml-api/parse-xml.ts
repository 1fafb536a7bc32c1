/**
 * Reads the XML a client sends in `cmd` (or the multipart `file`) with fast-xml-parser:
 * never regexes over XML. Refused before parsing: any markup declaration (`<!DOCTYPE`,
 * `<!ENTITY`, …: no entity of ours is ever expanded, so no billion laughs and no external
 * entities); only comments and CDATA may start with `<!`. Then the validator checks that
 * the text is well-formed with exactly one root element, and the parser turns it into
 * plain objects: attributes as `@_name`, every `entry` as an array, values as strings.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XmlObject = { readonly [name: string]: unknown };

export type ParsedXml =
  | { readonly ok: true; readonly root: string; readonly body: unknown }
  | { readonly ok: false; readonly reason: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === 'entry',
});

export function parseXml(text: string): ParsedXml {
  const declaration = markupDeclaration(text);
  if (declaration !== undefined) {
    return { ok: false, reason: `the XML declares ${declaration}; DOCTYPE and entity declarations are refused` };
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, reason: `the XML is not well-formed (line ${valid.err.line}: ${valid.err.msg})` };
  const doc = parser.parse(text) as XmlObject;
  const roots = Object.keys(doc);
  if (roots.length !== 1) return { ok: false, reason: `the XML must have one root element, not ${roots.length}` };
  return { ok: true, root: roots[0]!, body: doc[roots[0]!] };
}

/** The first `<!…` that is neither a comment nor CDATA, as its first word (`<!DOCTYPE`), or undefined. */
function markupDeclaration(text: string): string | undefined {
  for (let at = text.indexOf('<!'); at !== -1; at = text.indexOf('<!', at + 2)) {
    if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at + 4);
      if (end === -1) return undefined; // unterminated: the validator says so
      at = end;
    } else if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at + 9);
      if (end === -1) return undefined;
      at = end;
    } else {
      return text.slice(at, at + 10).split(/[\s>[]/)[0];
    }
  }
  return undefined;
}

/** The element `name` of `node` when it is an object (an empty element `<all/>` is ''). */
export function childOf(node: unknown, name: string): unknown {
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as XmlObject)[name] : undefined;
}

/** Child element names of `node` (attributes and text left out). */
export function childNames(node: unknown): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  return Object.keys(node).filter((key) => !key.startsWith('@_') && key !== '#text');
}
