export * from "./model.js";
export * from "./flame-tree.js";
