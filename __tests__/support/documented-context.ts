/**
 * Builds an IAM simulation's request context from the documented-keys table
 * (`stacks/context-keys.ts`): a test may only give keys AWS documents as present for that caller
 * and API (compared case-insensitively, as condition keys are), and asking for any other key (or a
 * caller/API without a row) fails the test. Tag keys are rows of their own
 * (`aws:ResourceTag/ebs-event-hub:expires-at`): a test can only use the tags the table names.
 */
import { documentedKeys, type Caller } from '../../stacks/context-keys';

export class UndocumentedContextKeyError extends Error {
  override readonly name = 'UndocumentedContextKeyError';
}

export function documentedContext(
  caller: Caller,
  action: string,
  values: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | readonly string[]> {
  const row = documentedKeys(caller, action);
  if (!row) throw new UndocumentedContextKeyError(`no documented-keys row for ${caller} calling ${action}: add one to stacks/context-keys.ts, with its doc link`);
  for (const key of Object.keys(values)) {
    if (!row.keys.some((k) => k.toLowerCase() === key.toLowerCase())) {
      throw new UndocumentedContextKeyError(`${key} is not documented as present when ${caller} calls ${action} (documented: ${row.keys.join(', ')})`);
    }
  }
  return { ...values };
}
