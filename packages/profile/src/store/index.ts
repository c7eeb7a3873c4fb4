export { mergeStored } from "./merge-stored.js";
export { StackStore, type StoredProfile, type StoreMark } from "./stack-store.js";
export { decodeStored, encodeStored } from "./stored-codec.js";
