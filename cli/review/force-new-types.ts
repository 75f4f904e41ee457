/** The shape of the generated ForceNew table (`force-new-table.ts`, scripts/force-new/generate.ts). */
export interface ForceNewArgument {
  /** Repository path and line, and the Go symbol, the entry comes from. */
  readonly source: string;
  /** Optional and Computed: leaving it out of the configuration keeps the prior value (no change). */
  readonly computed?: true;
  /** Replaced only under the condition the source states (CustomizeDiff, RequiresReplaceIf…, region). */
  readonly conditional?: string;
}

export interface ForceNewType {
  readonly kind: 'resource' | 'data';
  /** Where the type is registered (factory, region support). */
  readonly registration: string;
  /** The declaration its schema is read from. */
  readonly schema: string;
  /** Has the injected per-resource `region` argument. */
  readonly regional: boolean;
  /** Argument path (nested blocks joined with `.`, no list indexes) -> why it forces replacement. */
  readonly forceNew: Readonly<Record<string, ForceNewArgument>>;
}

export type ForceNewTable = Readonly<Record<string, ForceNewType>>;
