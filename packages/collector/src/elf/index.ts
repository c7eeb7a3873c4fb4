export { clearElfCache, elfByBuildId, openElf } from "./cache.js";
export {
  type ElfFile,
  type ElfSection,
  type ElfSegment,
  type ElfSymbol,
  ET_DYN,
  ET_EXEC,
  fileOffsetToVaddr,
  findFunction,
  isExecutableVaddr,
  loadSegmentForOffset,
  PT_LOAD,
  parseElfBuffer,
  parseElfFile,
  sectionByName,
  vaddrToFileOffset,
} from "./elf.js";
