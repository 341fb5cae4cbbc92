/**
 * Images for tests and benchmarks to push, from the one copy the demo uses (src/demo/): production code
 * never imports test/, so the tooling lives there and this is where tests and benches take it from.
 */
export { type ImageToPush, pushImage, uploadBlob } from '../../src/demo/push.ts';
export { sampleImage } from '../../src/demo/sample-images.ts';
