export const PACKAGE = "@perforator/flamegraph";
