/**
 * Lambda entry points of the snapshot-copy bundle (`dist/snapshot-copy/index.js`):
 *   index.start  SQS batch (copy queue) → StartExecution per snapshot   (./start.ts)
 *   index.step   one step of the copy workflow                          (./steps.ts)
 *   index.sweep  one page of the retention sweep (the ledger's expired copies) (./sweep.ts)
 * Thin: configuration and clients are built once per container, on the first invocation (a bad
 * environment fails that invocation loudly with a ConfigurationError naming the variable).
 */
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { createClientProvider, createDynamoDbClient, createSfnClient } from './clients';
import { loadStartConfig, loadStepConfig, loadSweepConfig } from './config';
import { identityFromArn } from './decide';
import { createHolderStatusReader } from './executions';
import { createLedgerStore } from './ledger';
import { createLogger } from './logger';
import { handleStart, type StartDeps } from './start';
import { createSlotStore } from './slots';
import { runStep, type CopyData, type StepDeps, type StepEvent } from './steps';
import { handleSweep, type SweepDeps, type SweepState } from './sweep';

const logger = createLogger();
let startDeps: StartDeps | undefined;
let stepDeps: Omit<StepDeps, 'self'> | undefined;
let sweepDeps: Omit<SweepDeps, 'self' | 'timeLeftMs'> | undefined;

export const start = async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  if (!startDeps) {
    const config = loadStartConfig(process.env);
    startDeps = { config, logger, sfn: createSfnClient() };
  }
  return handleStart(event, startDeps);
};

export const step = async (event: StepEvent, context: Context): Promise<CopyData> => {
  if (context) logger.addContext(context);
  if (!stepDeps) {
    const config = loadStepConfig(process.env);
    // The slots and ledger tables and the state machine are in the function's own account and region (the central stack).
    const dynamodb = createDynamoDbClient(config.functionRegion);
    const slots = createSlotStore(dynamodb, config.slotsTableName);
    const ledger = createLedgerStore(dynamodb, config.ledgerTableName);
    const holders = createHolderStatusReader(createSfnClient(config.functionRegion), config.stateMachineArn);
    stepDeps = { config, logger, clients: createClientProvider({ stsRegion: config.functionRegion }), slots, ledger, holders, now: () => new Date(), random: Math.random, pendingLooks: new Map() };
  }
  return runStep(event, { ...stepDeps, self: identityFromArn(context?.invokedFunctionArn) });
};

export const sweep = async (event: unknown, context: Context): Promise<SweepState> => {
  if (context) logger.addContext(context);
  if (!sweepDeps) {
    const config = loadSweepConfig(process.env);
    const ledger = createLedgerStore(createDynamoDbClient(config.functionRegion), config.ledgerTableName);
    sweepDeps = { config, logger, clients: createClientProvider({ stsRegion: config.functionRegion }), ledger, now: () => new Date() };
  }
  // The function's own deadline: no call starts that could outlast it (sweep.ts SWEEP_RESERVE_MS).
  const timeLeftMs = () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Number.POSITIVE_INFINITY);
  return handleSweep(event, { ...sweepDeps, self: identityFromArn(context?.invokedFunctionArn), timeLeftMs });
};
