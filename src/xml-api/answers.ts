/**
 * The XML the PAN-OS XML API answers with, built by fast-xml-parser's XMLBuilder (which
 * escapes text and attributes), in the forms PAN-OS uses and its clients read
 * (pan-python's pan.xapi, pan-os-python, scripts with curl): `<response status="success">`
 * with a `<result>`, or `<response status="error" code="N">` with the message as
 * `<result><msg>` (codes 400 and 403) or `<msg><line>` (command errors such as 17 and 18).
 * Codes: PAN-OS XML API Error Codes (docs.paloaltonetworks.com, "PAN-OS XML API Error
 * Codes"): 400 Bad request, 403 Forbidden, 17 Invalid command, 18 Malformed command.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

export type XmlValue = string | number | XmlNode | readonly XmlNode[];
export interface XmlNode {
  readonly [name: string]: XmlValue;
}

/** A finished answer: the HTTP status and the XML body. */
export interface XmlAnswer {
  readonly status: number;
  readonly body: string;
  /** Counted in uid_xml_api_requests_total{outcome}. */
  readonly outcome: string;
}

export function success(result: XmlNode | string): XmlAnswer {
  return { status: 200, body: builder.build({ response: { '@_status': 'success', result } }), outcome: 'success' };
}

/** The PAN-OS code of each of our error codes, and how PAN-OS lays its message out. */
const PAN_OS: Partial<Record<ErrorCode, { readonly code: number; readonly form: 'result' | 'line'; readonly outcome: string }>> = {
  UID_ERR_XML_API_KEY: { code: 403, form: 'result', outcome: 'forbidden' },
  UID_ERR_XML_API_REQUEST: { code: 400, form: 'result', outcome: 'bad_request' },
  UID_ERR_XML_API_TOO_LARGE: { code: 400, form: 'result', outcome: 'too_large' },
  UID_ERR_XML_API_MALFORMED: { code: 18, form: 'line', outcome: 'malformed' },
  UID_ERR_XML_API_UNSUPPORTED: { code: 17, form: 'line', outcome: 'unsupported' },
};

/**
 * An error answer. The message starts with our code (docs/errors.md) so an operator can
 * look it up; the HTTP status is the code's (403, 400, 413), else 200 as PAN-OS answers
 * command errors.
 */
export function failure(code: ErrorCode, message: string): XmlAnswer {
  const pan = PAN_OS[code] ?? { code: 1, form: 'line', outcome: 'error' };
  const text = `${code}: ${message}`;
  const msg = pan.form === 'result' ? { result: { msg: text } } : { msg: { line: text } };
  const status = (ERROR_CODES[code] as { status?: number }).status ?? 200;
  return { status, body: builder.build({ response: { '@_status': 'error', '@_code': pan.code, ...msg } }), outcome: pan.outcome };
}
