/** Everything that happens to a finished profile: encoding it, writing it atomically, serving it. */
export { writeFileAtomic } from "./atomic.js";
export {
  encodePprof,
  encodeProfile,
  OUTPUT_FORMATS,
  type OutputFormat,
  type RenderOptions,
  renderHtml,
} from "./encode.js";
export { displayUrl, type ListenAddress, type RunningServer, type ServedProfile, serveProfile } from "./serve.js";
