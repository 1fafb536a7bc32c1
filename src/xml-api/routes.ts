/**
 * The PAN-OS XML API at `/api/` and `/api` (DESIGN §5, docs/xml-api.md), in its own
 * fastify scope: GET with the query, POST form-encoded (`cmd=` in the body, as pan-python
 * sends it) or multipart (`file` part, `key` as a field, as `curl -F` in the PAN-OS docs);
 * query and body parameters are merged, the body winning. Every answer is
 * `application/xml`, errors included (this scope's error handler turns an oversized body,
 * a bad form or a wrong content type into PAN-OS error XML). The routes are `public` to the
 * bearer-token hook: PAN-OS clients send no Authorization header, their key is the
 * credential (`key=`, the `X-PAN-KEY` header, or an `http.tokens` token as a key).
 */
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { IdentityEvent } from '../identify/event.js';
import type { NormaliseSender } from '../identify/normalise.js';
import type { MappingTable, MaybePromise } from '../mappings/table.js';
import type { Logger } from '../observability/logger.js';
import { failure, success, type XmlAnswer } from './answers.js';
import type { KeyRing, Principal } from './keys.js';
import { instrumentXmlApi } from './metrics.js';
import { XML_API_PROFILE, runOp, versionAnswer, type SystemIdentity } from './op-commands.js';
import { parseXml } from './parse-xml.js';
import { countRequest, REQUEST_TYPES, type RequestType, type XmlApiStats } from './stats.js';
import { readUidMessage, type UidMessage } from './uid-message.js';
import '../http/route-config.js';

export interface XmlApiOptions {
  readonly keys: KeyRing;
  readonly maxBodyBytes: number;
  /** One pushed event through normalise, filters and the table (src/app.ts wires it). */
  readonly apply: (event: IdentityEvent, sender: NormaliseSender) => MaybePromise<unknown>;
  readonly identity: SystemIdentity;
  readonly stats: XmlApiStats;
  /** Epoch ms; tests inject a clock. */
  readonly now?: () => number;
}

interface Deps extends XmlApiOptions {
  readonly table: MappingTable;
}

type Params = ReadonlyMap<string, string>;

const UID_SUCCESS = { 'uid-response': { version: '2.0', payload: { login: '', logout: '' } } };

export async function registerXmlApi(app: FastifyInstance, options: XmlApiOptions & { table: MappingTable; registry: Registry; logger: Logger }): Promise<void> {
  const { registry, logger, ...deps } = options;
  instrumentXmlApi(app, registry, deps.stats);
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: deps.maxBodyBytes });
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: deps.maxBodyBytes, fieldSize: deps.maxBodyBytes, files: 1, fields: 32, parts: 33 },
    });
    scope.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = err.statusCode ?? 500;
      const answer = status === 413 ? failure('UID_ERR_XML_API_TOO_LARGE', `the request body is over xmlApi.maxBodyBytes (${deps.maxBodyBytes} bytes); nothing was applied`)
        : status >= 400 && status < 500 ? failure('UID_ERR_XML_API_REQUEST', `${err.message}; send GET, or POST application/x-www-form-urlencoded or multipart/form-data`)
          : failure('UID_ERR_HTTP_INTERNAL', 'an unexpected error occurred; the server log has the details');
      if (status >= 500) logger.error({ err, route: request.routeOptions.url }, 'XML API request failed');
      countRequest(deps.stats, typeOf(queryType(request)), answer.outcome);
      return send(reply, answer);
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = collect(request);
      const type = typeof params === 'string' ? undefined : params.get('type');
      const answer = typeof params === 'string' ? failure('UID_ERR_XML_API_REQUEST', params) : await answerRequest(params, request, deps);
      countRequest(deps.stats, typeOf(type), answer.outcome);
      return send(reply, answer);
    };
    for (const url of ['/api', '/api/']) {
      // Not in the OpenAPI document (a JSON contract); docs/xml-api.md describes it.
      scope.route({ method: ['GET', 'POST'], url, bodyLimit: deps.maxBodyBytes, config: { public: true }, schema: { hide: true }, handler });
    }
  });
}

function send(reply: FastifyReply, answer: XmlAnswer): FastifyReply {
  return reply.code(answer.status).type('application/xml; charset=utf-8').send(answer.body);
}

function typeOf(type: string | undefined): RequestType {
  return (REQUEST_TYPES as readonly string[]).includes(type ?? '') ? type as RequestType : 'other';
}

function queryType(request: FastifyRequest): string | undefined {
  const type = (request.query as Record<string, unknown> | undefined)?.['type'];
  return typeof type === 'string' ? type : undefined;
}

/** Query and body parameters as one map of strings (a multipart file part as its text), or why not. */
function collect(request: FastifyRequest): Params | string {
  const params = new Map<string, string>();
  for (const source of [request.query, request.body]) {
    if (source === null || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (Buffer.isBuffer(value)) params.set(name, value.toString('utf8'));
      else if (typeof value === 'string') params.set(name, value);
      else return `parameter ${name} is given more than once`;
    }
  }
  return params;
}

async function answerRequest(params: Params, request: FastifyRequest, deps: Deps): Promise<XmlAnswer> {
  const type = params.get('type');
  if (type === 'keygen') return keygen(params, deps);
  const header = request.headers['x-pan-key'];
  const key = params.get('key') ?? (typeof header === 'string' ? header : undefined);
  if (key === undefined || key === '') {
    return failure('UID_ERR_XML_API_KEY', 'no API key: send key=<key> or the X-PAN-KEY header (get one with type=keygen)');
  }
  const principal = deps.keys.principal(key);
  if (principal === undefined) return failure('UID_ERR_XML_API_KEY', 'Invalid credentials: the API key is not valid (revoked by a password change?); get a new one with type=keygen');
  if (type === undefined) return failure('UID_ERR_XML_API_REQUEST', 'missing parameter: type (keygen, user-id, op or version)');
  const vsys = params.get('vsys');
  if (vsys !== undefined && vsys !== 'vsys1') return failure('UID_ERR_XML_API_REQUEST', `vsys ${vsys} does not exist: this is a single-vsys device (vsys1)`);
  const now = (deps.now ?? Date.now)();
  switch (type) {
    case 'version':
      return versionAnswer(deps.identity);
    case 'op':
    case 'user-id': {
      const cmd = params.get('cmd') ?? params.get('file');
      if (cmd === undefined || cmd.trim() === '') return failure('UID_ERR_XML_API_REQUEST', `type=${type} needs the command as cmd= (or a multipart file part)`);
      const parsed = parseXml(cmd);
      if (!parsed.ok) return failure('UID_ERR_XML_API_MALFORMED', `${parsed.reason}; nothing was applied`);
      if (type === 'op') return runOp(parsed.root, parsed.body, deps.table, deps.identity, now);
      const message = readUidMessage(parsed.root, parsed.body);
      if (!message.ok) return failure(message.code, message.reason);
      await applyUidMessage(message.message, principal, deps);
      return success(UID_SUCCESS);
    }
    default:
      return failure('UID_ERR_XML_API_REQUEST', `type ${type} is not supported by uid-listener (it answers keygen, user-id, op and version)`);
  }
}

async function keygen(params: Params, deps: Deps): Promise<XmlAnswer> {
  const user = params.get('user');
  const password = params.get('password');
  if (user === undefined || password === undefined) return failure('UID_ERR_XML_API_REQUEST', 'type=keygen needs user and password');
  const key = await deps.keys.keygen(user, password);
  if (key === 'busy') return failure('UID_ERR_XML_API_REQUEST', 'too many keygen requests at once; retry in a moment (keys do not change: keep the one you have)');
  return key === undefined ? failure('UID_ERR_XML_API_KEY', 'Invalid Credential: wrong user or password') : success({ key });
}

/** Logins first, then logouts (PAN-OS applies a message's logins before its logouts). */
async function applyUidMessage(message: UidMessage, principal: Principal, deps: Deps): Promise<void> {
  const sender: NormaliseSender = principal.timeoutMinutes === undefined ? {} : { timeoutMinutes: principal.timeoutMinutes };
  const base = { profile: XML_API_PROFILE, sender: principal.sender };
  for (const entry of message.logins) {
    const timeout = entry.timeout === undefined ? {} : { timeoutMs: entry.timeout * 60_000 };
    await deps.apply({ ...base, event: 'login', user: entry.name!, ip: entry.ip, ...timeout }, sender);
    deps.stats.entries.login++;
  }
  for (const entry of message.logouts) {
    // Without a name, the logout ends whoever is at the address.
    const user = entry.name ?? (await deps.table.get(entry.ip))?.user;
    deps.stats.entries.logout++;
    if (user !== undefined) await deps.apply({ ...base, event: 'logout', user, ip: entry.ip }, sender);
  }
}
