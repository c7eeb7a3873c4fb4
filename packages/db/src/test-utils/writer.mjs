// Child process for the multi-process test: saves N profiles for one service into a shared database.
import { openDatabase, saveProfile } from "../../dist/index.js";

const [url, dataDir, service, n] = process.argv.slice(2);
const db = openDatabase({ url, dataDir });
await db.migrate();
for (let i = 0; i < Number(n); i++) {
  await saveProfile(db, {
    service,
    startTime: new Date(Date.UTC(2026, 10, 25, 0, 0, i)),
    endTime: new Date(Date.UTC(2026, 10, 25, 0, 0, i + 1)),
    sampleType: "cpu",
    sampleUnit: "nanoseconds",
    totalValue: i,
    sampleCount: 1,
    format: "folded",
    body: new TextEncoder().encode(`${service};f${i} ${i + 1}\n`),
  });
}
await db.close();
