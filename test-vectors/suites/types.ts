/**
 * The conformance-suite contract. A vector file is JSON `{suite, version, description, generator?,
 * vectors: [{id, …}]}`; the runner hands each file to the suite named by its `suite` field (or, for
 * foreign files such as the tKey sample accounts, to the suite whose `recognize` accepts it) and
 * counts one result per check.
 */
export interface CheckResult {
  /** Stable id of the check, e.g. `ecies/decrypt-sample-3` */
  id: string;
  ok: boolean;
  /** What failed (or what was checked), one line. */
  detail?: string;
}

export interface Suite {
  name: string;
  /** For files without a `suite` field: does this suite take the file as-is? */
  recognize?(doc: unknown): boolean;
  run(doc: unknown, path: string): Promise<CheckResult[]>;
}
