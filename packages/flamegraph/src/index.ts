/** Framework-free core of the flamegraph viewer: layout, hit testing, colours, search, URL state, canvas renderer. */
export * from "./core/index.js";
