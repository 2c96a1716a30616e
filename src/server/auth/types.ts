/**
 * Shared shapes of the co-signing service's authentication (OIDC login, service sessions).
 * @module
 */

/** Who logged in: the ID token's issuer and subject — Web3Auth's (verifier, verifierId). */
export interface Subject {
  iss: string;
  sub: string;
}

/**
 * The ID-token replay cache: `markUsed(key, expiresAtS)` resolves true the first time a key is
 * marked and false ever after (until `expiresAtS`, when the token is dead anyway). Shared by every
 * node (the state helper's durable one); `MemoryUsedTokens` is the in-process default.
 */
export interface UsedTokens {
  markUsed(key: string, expiresAtS: number): Promise<boolean>;
}

/** The signature algorithms an issuer may use: asymmetric only (`none` and every HS* are refused). */
export const OIDC_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type OidcAlg = (typeof OIDC_ALGS)[number];

/** One trusted OpenID Connect issuer. */
export interface IssuerConfig {
  /** The exact `iss` claim. */
  iss: string;
  /** The accepted `aud` value(s) (the wallet's client id). */
  aud: string | string[];
  /** Where its JWKS lives (fetched and cached by jose) … */
  jwksUrl?: string;
  /** … or a JWKS JSON file (offline use). Exactly one of the two. */
  jwksFile?: string;
  /** Allowed algorithms, a subset of `OIDC_ALGS` (default: all three). */
  algs?: OidcAlg[];
}

/** What a verified login yields. */
export interface VerifiedLogin {
  subject: Subject;
  /** The ID token's `exp` (seconds). */
  tokenExp: number;
}
