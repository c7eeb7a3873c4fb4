// Child process for the idempotency race: uploads N profiles with keys k0..k{N-1} to team TEAM and prints
// what storeProfile answered for each, as JSON. Two of these run at once with the same keys.
import { getTeamByName, openDatabase, storeProfile } from "../../dist/index.js";
import { foldedMinute } from "./minute-profile.mjs";

const [url, dataDir, teamName, n, who] = process.argv.slice(2);
const db = openDatabase({ url, dataDir });
const team = await getTeamByName(db, teamName);
const out = [];
for (let i = 0; i < Number(n); i++) {
  const text = `main;from_${who};f${i} ${i + 1}\n`;
  const r = await storeProfile(db, {
    teamId: team.id,
    service: "race",
    ...foldedMinute(text, i),
    idempotencyKey: `k${i}`,
  });
  out.push({ key: `k${i}`, ...r });
}
console.log(JSON.stringify(out));
await db.close();
