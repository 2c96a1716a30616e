/** Placeholder until the metadata walkthrough lands in this same change set. */
console.log('tkey-tss: demo not built yet');
