/** The EIP-712 specification's "Ether Mail" example, kept beside the wallet page that shows it. */
export { ETHER_MAIL as mail } from '../../web/wallet/example-typed-data.js';
