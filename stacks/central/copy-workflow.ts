/**
 * PLACEHOLDER (i7-infra) until i7-engine's definition is merged: same signature as the contract
 * (COPY-CONTRACT.md, "Definition"). i7-engine owns this file; a merge replaces it wholesale.
 */
export type AslDefinition = Record<string, unknown>;

export interface CopyWorkflowProps {
  /** Literal ARN of `ebs-event-hub-copy-step`, in the same stack. */
  readonly stepFunctionArn: string;
}

export function copyWorkflowDefinition(props: CopyWorkflowProps): AslDefinition {
  return {
    Comment: 'placeholder',
    StartAt: 'Inspect',
    TimeoutSeconds: 8 * 24 * 3600,
    States: {
      Inspect: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: props.stepFunctionArn, Payload: { step: 'inspect', 'input.$': '$' } },
        End: true,
      },
    },
  };
}
