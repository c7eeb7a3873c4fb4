export * from "./color.js";
export * from "./layout.js";
export * from "./lines.js";
export * from "./renderer.js";
export * from "./search.js";
export * from "./tree.js";
export * from "./url-state.js";
