/**
 * POST /v1/test-profile: what `uid-listener test-profile --json` prints, for the running
 * profiles (after reloads too), so the status page can say what a pasted line maps and
 * why not; with `sender`, exactly as the listener runs that sender's messages (its
 * profiles, defaultDomain and the mapping rules, like `test-profile --config --sender`).
 * The same code as the CLI (src/identify/tester.ts); nothing is applied to the table.
 * Bounded: 1 MiB of body, 1000 lines, each at most the syslog message size cap.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { NormaliseConfig } from '../../identify/normalise.js';
import type { ProfileSet } from '../../identify/profile-set.js';
import { SenderTester, testMessage } from '../../identify/tester.js';
import type { Sender } from '../../syslog/message.js';
import { senderNamed } from '../../syslog/senders.js';
import { errorBody } from '../present.js';
import { errorResponse, ref, UNAUTHORIZED } from '../schemas.js';

/** What a test for one sender needs of the running config. */
export interface SenderRules {
  readonly senders: readonly Sender[];
  readonly mappings: NormaliseConfig;
}

export const MAX_TEST_LINES = 1000;
const MAX_LINE_CHARS = 65_536;

const TestRequestSchema = Type.Object({
  lines: Type.Array(Type.String({ maxLength: MAX_LINE_CHARS }), { minItems: 1, maxItems: MAX_TEST_LINES, description: 'messages, each taken literally' }),
  sender: Type.Optional(Type.String({ minLength: 1, description: 'run the lines as this configured sender\'s messages (senders[].name)' })),
}, { $id: 'TestProfileRequest', additionalProperties: false });

const TestResultSchema = Type.Object({
  line: Type.Integer({ minimum: 1, description: 'position in `lines`, from 1' }),
  events: Type.Array(Type.Object({
    profile: Type.String(),
    event: Type.String({ enum: ['login', 'logout'] }),
    user: Type.String(),
    ip: Type.String(),
  }, { additionalProperties: false })),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why `events` is empty (docs/profiles.md), else null' }),
}, { $id: 'TestProfileResult', additionalProperties: false });

const TestResponseSchema = Type.Object({ items: Type.Array(ref(TestResultSchema)) }, { $id: 'TestProfileResponse', additionalProperties: false });

type TestRequest = Static<typeof TestRequestSchema>;

export function registerTestProfileRoutes(app: FastifyInstance, profiles: () => ProfileSet, rules: () => SenderRules): void {
  for (const schema of [TestRequestSchema, TestResultSchema, TestResponseSchema]) app.addSchema(schema);
  app.post<{ Body: TestRequest }>('/v1/test-profile', {
    bodyLimit: 1024 * 1024,
    schema: {
      summary: 'Run messages through the loaded parse profiles and say what each yields, and why not (like test-profile --json)',
      tags: ['profiles'],
      body: ref(TestRequestSchema),
      response: {
        200: ref(TestResponseSchema, 'one result per line, in order'),
        400: errorResponse(`malformed body, no lines or more than ${MAX_TEST_LINES} (UID_ERR_HTTP_BAD_REQUEST)`),
        401: UNAUTHORIZED,
        404: errorResponse('no configured sender of that name (UID_ERR_HTTP_NOT_FOUND)'),
        413: errorResponse('body over 1 MiB (UID_ERR_HTTP_BAD_REQUEST)'),
      },
    },
  }, (request, reply) => {
    const set = profiles();
    const { lines, sender: name } = request.body;
    if (name === undefined) return { items: lines.map((message, i) => testMessage(set, message, i + 1)) };
    const { senders, mappings } = rules();
    const sender = senderNamed(senders, name);
    if (!sender) return reply.code(404).send(errorBody('UID_ERR_HTTP_NOT_FOUND', `no sender ${JSON.stringify(name)} in the running config`));
    const tester = new SenderTester(set, mappings, sender);
    return { items: lines.map((message, i) => tester.test(message, i + 1)) };
  });
}
