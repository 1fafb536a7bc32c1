/**
 * The debug sample of messages that mapped nothing (`log.unmatchedSamples`, issue 11
 * item 3): the first SAMPLE_BYTES of the message as received, its outcome, and the reason
 * exactly as `test-profile --config --sender` gives it (the message is run once more
 * through a diagnostic copy of the same pipeline; samples are few, so that costs nothing
 * that matters). The rate limit per sender is the pipeline's (pipeline.ts).
 */
import type { Sender } from '../syslog/message.js';
import type { NormaliseConfig } from './normalise.js';
import { OUTCOMES, type Outcome } from './outcome.js';
import type { UnmatchedSampling } from './pipeline.js';
import type { ProfileSet } from './profile-set.js';
import { SenderTester } from './tester.js';

export const SAMPLE_BYTES = 200;

export interface UnmatchedSampleEvent {
  readonly type: 'unmatched-sample';
  readonly sender: string;
  readonly outcome: Outcome;
  readonly reason: string;
  /** The first SAMPLE_BYTES bytes, decoded as UTF-8. */
  readonly message: string;
}

/** The sampling for a pipeline over `profiles`; undefined when `perMinute` is 0 (off). */
export function unmatchedSampling(
  profiles: ProfileSet,
  mappings: NormaliseConfig,
  perMinute: number,
  report: (event: UnmatchedSampleEvent) => void,
): UnmatchedSampling | undefined {
  if (perMinute <= 0) return undefined;
  const testers = new WeakMap<Sender, SenderTester>();
  return {
    perMinute,
    onSample(data, sender, outcome) {
      let tester = testers.get(sender);
      if (!tester) testers.set(sender, (tester = new SenderTester(profiles, mappings, sender)));
      tester.run(data);
      const reason = tester.reason();
      report({ type: 'unmatched-sample', sender: sender.name, outcome: OUTCOMES[outcome]!, reason, message: data.subarray(0, SAMPLE_BYTES).toString('utf8') });
    },
  };
}
