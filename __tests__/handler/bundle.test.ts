/**
 * The deployable artefact: dist/snapshot-copy/index.js as built by scripts/build-handler.ts. One
 * CommonJS file with the SDK inside, small, reproducible, and working when loaded by plain `node`
 * against the loopback EC2 stand-in.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { buildHandler } from '../../scripts/build-handler';
import { LEDGER_TABLE, withLedgerTable } from '../../scripts/support/copy-tables';
import { DynamoDbStandin } from '../../scripts/support/dynamodb-standin';
import { startEc2Standin, type Ec2Standin } from '../../scripts/support/ec2-standin';
import { FUNCTION_ARN, OWN_ACCOUNT } from './support';

const run = promisify(execFile);
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

let outfile: string;
let zipFile: string;
let bytes: number;
let firstHash: string;
let firstZipHash: string;
let standin: Ec2Standin;
const dynamodb = withLedgerTable(new DynamoDbStandin());
let dynamodbUrl: string;

beforeAll(async () => {
  ({ outfile, bytes, zipFile } = await buildHandler());
  firstHash = sha256(outfile);
  firstZipHash = sha256(zipFile);
  standin = await startEc2Standin({ defaultAccount: OWN_ACCOUNT });
  dynamodbUrl = await dynamodb.listen();
});

afterAll(async () => {
  await standin.close();
  await dynamodb.close();
});

/** Runs `script` in a fresh `node` with only the environment given (plus PATH). */
async function node(script: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['-e', script], {
    env: { PATH: process.env['PATH'] ?? '', AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1', ...env },
    timeout: 30_000,
  });
}

describe('the handler bundle', () => {
  it('is one file under 1 MB', () => {
    expect(readdirSync(dirname(outfile))).toEqual(['index.js']);
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(readFileSync(outfile).length).toBe(bytes);
  });

  it('is byte-identical when rebuilt, bundle and deployment zip', async () => {
    const again = await buildHandler();
    expect(again.bytes).toBe(bytes);
    expect(sha256(again.outfile)).toBe(firstHash);
    expect(sha256(again.zipFile)).toBe(firstZipHash);
  });

  it('is zipped as index.js at the root of the deployment package, unchanged', () => {
    const entries = unzipSync(readFileSync(zipFile));
    expect(Object.keys(entries)).toEqual(['index.js']);
    expect(Buffer.from(entries['index.js']!).equals(readFileSync(outfile))).toBe(true);
  });

  it('bundles the AWS SDK and Powertools instead of requiring them, and carries no absolute build paths', () => {
    const code = readFileSync(outfile, 'utf8');
    // Every require() left is a Node built-in. (The SDK's error text "[require("@aws-sdk/signature-v4-crt");]"
    // is a string, not a call: it is followed by ";]".)
    const required = [...code.matchAll(/require\(["'`]([^"'`]+)["'`]\)(?!;\])/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((id) => !isBuiltin(id))).toEqual([]);
    expect(code).not.toContain(process.cwd());
    expect(code).not.toMatch(/sourceMappingURL/);
    // The schema tree-shaking plugin worked: shapes of operations the handler never sends are gone.
    expect(code).not.toContain('AllocateAddressRequest');
    expect(code).toContain('DescribeSnapshotsRequest');
    expect(code).toContain('StartExecutionInput');
  });

  it('is CommonJS exporting the three entry points start, step and sweep', async () => {
    const { stdout } = await node(
      `const m = require(${JSON.stringify(outfile)}); console.log(JSON.stringify({ keys: Object.keys(m).sort(), types: [typeof m.start, typeof m.step, typeof m.sweep] }))`,
      {},
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ keys: expect.arrayContaining(['start', 'step', 'sweep']), types: ['function', 'function', 'function'] });
  });

  it('runs the workflow steps when loaded by node: inspect, find, admit, copy against the EC2 stand-in', async () => {
    standin.reset();
    standin.addSnapshot({ snapshotId: 'snap-0bbbbbbbbbbbbbbb1', region: 'eu-west-1', ownerId: OWN_ACCOUNT, state: 'completed', tags: [{ key: 'Name', value: 'web' }] });
    const data = { account: OWN_ACCOUNT, sourceRegion: 'eu-west-1', snapshotId: 'snap-0bbbbbbbbbbbbbbb1', destinationRegion: 'us-east-2' };
    const script = `
      const { step } = require(${JSON.stringify(outfile)});
      const context = { invokedFunctionArn: ${JSON.stringify(FUNCTION_ARN)}, awsRequestId: 'r-1', functionName: 'ebs-event-hub-copy-step' };
      (async () => {
        let data = ${JSON.stringify(data)};
        for (const name of ['inspect', 'find', 'admit', 'copy', 'release']) {
          data = await step({ step: name, executionStartTime: new Date().toISOString(), data }, context);
        }
        console.log('RESULT ' + JSON.stringify(data));
      })().catch((error) => { console.log('ERROR ' + error.name + ': ' + error.message); process.exitCode = 1; });`;
    const { stdout } = await node(script, {
      MEMBER_ROLE_NAME: 'ebs-event-hub-snapshot-copy',
      MAX_IN_FLIGHT_COPIES: '15',
      SLOTS_TABLE_NAME: 'ebs-event-hub-copy-slots',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy',
      LEDGER_TABLE_NAME: LEDGER_TABLE,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_EC2: standin.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
      AWS_ENDPOINT_URL_STS: standin.url,
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });

    expect(standin.calls('CopySnapshot')).toHaveLength(1);
    expect(standin.calls('CopySnapshot')[0]).toMatchObject({ region: 'us-east-2', params: expect.objectContaining({ SourceSnapshotId: 'snap-0bbbbbbbbbbbbbbb1', SourceRegion: 'eu-west-1' }) });
    const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as { outcome: string; copySnapshotId: string };
    expect(result).toMatchObject({ outcome: 'copying', copySnapshotId: expect.stringMatching(/^snap-/) });
    const logs = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toContainEqual(expect.objectContaining({ service: 'snapshot-copy', step: 'copy', outcome: 'copying', snapshotId: 'snap-0bbbbbbbbbbbbbbb1', function_request_id: 'r-1' }));
    // Find asked the ledger (by-source), copy recorded the copy (PutItem), over the bundled client.
    expect(dynamodb.requests.filter((r) => r.action !== 'UpdateItem').map((r) => [r.action, (r.input as { IndexName?: string }).IndexName, r.outcome])).toEqual([
      ['Query', 'by-source', 'ok'],
      ['PutItem', undefined, 'ok'],
    ]);
    expect(dynamodb.items(LEDGER_TABLE)).toEqual([expect.objectContaining({ copySnapshotId: { S: result.copySnapshotId }, sourceSnapshotId: { S: 'snap-0bbbbbbbbbbbbbbb1' }, recordedBy: { S: 'copy' } })]);
    // The slot was taken (admit), held (copy) and released, through the bundled DynamoDB client.
    expect(dynamodb.requests.filter((r) => r.action === 'UpdateItem').map((r) => [(r.input as { UpdateExpression?: string }).UpdateExpression, r.outcome])).toEqual([
      ['SET holders.#h = :now', 'conditional-check-failed'],
      ['SET holders = if_not_exists(holders, :empty)', 'ok'],
      ['SET holders.#h = :now', 'ok'],
      ['SET holders.#h = :now', 'ok'],
      ['REMOVE holders.#h', 'ok'],
    ]);
    expect(dynamodb.item('ebs-event-hub-copy-slots', JSON.stringify({ slot: { S: `${OWN_ACCOUNT}#us-east-2` } }))).toEqual({ slot: { S: `${OWN_ACCOUNT}#us-east-2` }, holders: { M: {} } });
  });

  it('refuses a bare (non-SQS) invocation of start with NotAnSqsBatchError', async () => {
    const script = `
      const { start } = require(${JSON.stringify(outfile)});
      start({ 'detail-type': 'EBS Snapshot Notification' }, { invokedFunctionArn: ${JSON.stringify(FUNCTION_ARN)} }).then(
        () => console.log('RESOLVED'),
        (error) => console.log('ERROR ' + error.name + ': ' + error.message),
      );`;
    const { stdout } = await node(script, {
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111111111111:stateMachine:ebs-event-hub-snapshot-copy',
      COPY_QUEUE_ARN: 'arn:aws:sqs:us-east-1:111111111111:ebs-event-hub-snapshot-copy',
      DESTINATION_REGION: 'us-east-1',
      SOURCE_REGIONS: 'eu-west-1',
    });
    expect(stdout).toMatch(/ERROR NotAnSqsBatchError/);
  });

  it('fails the first invocation of each entry with a ConfigurationError naming the missing variable', async () => {
    const script = `
      const m = require(${JSON.stringify(outfile)});
      const ctx = { invokedFunctionArn: ${JSON.stringify(FUNCTION_ARN)} };
      (async () => {
        for (const name of ['start', 'step', 'sweep']) {
          await m[name]({}, ctx).then(() => console.log(name + ' RESOLVED'), (error) => console.log(name + ' ERROR ' + error.name + ': ' + error.message));
        }
      })();`;
    const { stdout } = await node(script, {});
    expect(stdout).toMatch(/start ERROR ConfigurationError: STATE_MACHINE_ARN is not set/);
    expect(stdout).toMatch(/step ERROR ConfigurationError: MEMBER_ROLE_NAME is not set/);
    expect(stdout).toMatch(/sweep ERROR ConfigurationError: MEMBER_ROLE_NAME is not set/);
  });
});
