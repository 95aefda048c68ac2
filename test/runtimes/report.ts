/**
 * What a runtime host reports back to the Node test that started it.
 */

/** Precedes the JSON results on the host's standard output. */
export const RESULTS_MARKER = 'AUTHX_CONFORMANCE_RESULTS '
