/**
 * Builds an IAM simulation's request context from the documented-keys table
 * (`stacks/context-keys.ts`): a test may only give keys AWS documents as present for that caller
 * and API, and asking for any other key (or a caller/API without a row) fails the test.
 */
import { documentedKeys, type Caller } from '../../stacks/context-keys';

export class UndocumentedContextKeyError extends Error {
  override readonly name = 'UndocumentedContextKeyError';
}

/** `aws:ResourceTag/owner` is documented by the row key `aws:ResourceTag/${TagKey}`. */
const matchesRowKey = (key: string, rowKey: string): boolean => {
  const at = rowKey.indexOf('${');
  return at === -1 ? key.toLowerCase() === rowKey.toLowerCase() : key.toLowerCase().startsWith(rowKey.slice(0, at).toLowerCase()) && key.length > at;
};

export function documentedContext(
  caller: Caller,
  action: string,
  values: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | readonly string[]> {
  const row = documentedKeys(caller, action);
  if (!row) throw new UndocumentedContextKeyError(`no documented-keys row for ${caller} calling ${action}: add one to stacks/context-keys.ts, with its doc link`);
  for (const key of Object.keys(values)) {
    if (!row.keys.some((k) => matchesRowKey(key, k))) {
      throw new UndocumentedContextKeyError(`${key} is not documented as present when ${caller} calls ${action} (documented: ${row.keys.join(', ')})`);
    }
  }
  return { ...values };
}
