/**
 * GET /v1/senders: the configured syslog senders as the running config has them (after
 * reloads too), for the status page and scripts. Certificate pins are left out: they are
 * not secret, but nobody reading the list needs them.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { SenderConfig } from '../../config/schema.js';
import { ref, UNAUTHORIZED } from '../schemas.js';

const SenderSchema = Type.Object({
  name: Type.String(),
  address: Type.String({ description: 'address or network it may send from' }),
  transports: Type.Array(Type.String({ enum: ['udp', 'tcp', 'tls'] })),
  profiles: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'profiles that read its messages; null: every loaded profile' }),
  defaultDomain: Type.Union([Type.String(), Type.Null()]),
}, { $id: 'Sender', additionalProperties: false });

const SenderListSchema = Type.Object({ items: Type.Array(ref(SenderSchema)) }, { $id: 'SenderList', additionalProperties: false });

export function registerSenderRoutes(app: FastifyInstance, senders: () => readonly SenderConfig[]): void {
  app.addSchema(SenderSchema);
  app.addSchema(SenderListSchema);
  app.get('/v1/senders', {
    schema: {
      summary: 'The configured syslog senders (who may send, over what, to which profiles)',
      tags: ['senders'],
      response: { 200: ref(SenderListSchema, 'in configuration order'), 401: UNAUTHORIZED },
    },
  }, () => ({
    items: senders().map((s) => ({
      name: s.name, address: s.address, transports: [...s.transports], profiles: s.profiles ? [...s.profiles] : null, defaultDomain: s.defaultDomain ?? null,
    })),
  }));
}
