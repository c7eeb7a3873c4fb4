/** Everything the collector reads from /proc about other processes: mappings, memory, state and identity. */
export { candidatePaths, findMapping, type Mapping, moduleName, parseMaps, readMaps, readMapsText } from "./maps.js";
export { ProcMem } from "./mem.js";
export { processAlive, processComm, processExe, processIdentity, processParent } from "./process.js";
