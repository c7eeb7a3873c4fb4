export const PACKAGE = "@perforator/collector";
