// Test preload (NODE_OPTIONS=--require): adds one row to the documented condition-keys table
// before main.ts runs, as if AWS documented that EventBridge sends no aws:SourceArn with
// sqs:SendMessage. Every DLQ policy conditions on that key, so every stack breaks a guardrail.
require('tsx/cjs');
const { DOCUMENTED_CONTEXT_KEYS } = require('../../stacks/policy/context-keys.ts');
// Replace any row the table has for this caller and action.
for (let i = DOCUMENTED_CONTEXT_KEYS.length - 1; i >= 0; i--) {
  const row = DOCUMENTED_CONTEXT_KEYS[i];
  if (row.caller === 'events.amazonaws.com' && row.action === 'sqs:SendMessage') DOCUMENTED_CONTEXT_KEYS.splice(i, 1);
}
DOCUMENTED_CONTEXT_KEYS.push({ caller: 'events.amazonaws.com', action: 'sqs:SendMessage', keys: ['aws:SourceAccount'], docs: ['https://example.test/injected-row'] });
