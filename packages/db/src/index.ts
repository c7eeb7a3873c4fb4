export const PACKAGE = "@perforator/db";
