export { FlameCanvas, type FlameCanvasProps, type FlameTestHook } from "./FlameCanvas.js";
export { FlameGraphViewer, type FlameGraphViewerProps } from "./FlameGraphViewer.js";
export { formatDelta, formatValue } from "./format.js";
export { VIEWER_CSS } from "./styles.js";
export { TopTable, type TopTableProps } from "./TopTable.js";
