#!/usr/bin/env node
// Server-side administration of web users (run on the machine that holds the database):
//   pnpm --dir apps/web admin user create EMAIL --team NAME [--role owner|member|viewer] [--name "Full Name"]
// Creates the user with a random one-time password (printed as the last line of stdout) and adds them to the team
// (created when missing). Same DATABASE_URL / PERFORATOR_DATA_DIR as the web app.
import { randomBytes } from "node:crypto";
import { addMember, createPasswordUser, ensureTeam, openDatabase, ROLES } from "@perforator/db";
import { hashPassword } from "better-auth/crypto";

const USAGE =
  "usage: pnpm --dir apps/web admin user create EMAIL --team NAME [--role owner|member|viewer] [--name NAME]";

function fail(message, code = 2) {
  process.stderr.write(`admin: ${message}\n`);
  process.exit(code);
}

function parse(argv) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (a.startsWith("--")) {
      const [k, inline] = a.slice(2).split("=", 2);
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`--${k} needs a value\n${USAGE}`);
      flags[k] = v;
    } else positional.push(a);
  }
  return { positional, flags };
}

const { positional, flags } = parse(process.argv.slice(2));
if (positional[0] !== "user" || positional[1] !== "create" || positional.length !== 3) fail(USAGE);
const email = positional[2].trim().toLowerCase();
if (!/^[^@\s]+@[^@\s]+$/.test(email)) fail(`"${positional[2]}" is not an email address`);
if (!flags.team) fail(`--team is required\n${USAGE}`);
const role = flags.role ?? "member";
if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(", ")}`);
for (const k of Object.keys(flags)) if (!["team", "role", "name"].includes(k)) fail(`unknown option --${k}\n${USAGE}`);

const db = openDatabase();
try {
  await db.migrate();
  const team = await ensureTeam(db, flags.team);
  const password = randomBytes(15).toString("base64url");
  const user = await createPasswordUser(db, {
    email,
    name: flags.name ?? email.split("@")[0],
    passwordHash: await hashPassword(password),
  });
  await addMember(db, { teamId: team.id, userId: user.id, role });
  process.stdout.write(`created ${user.email} as ${role} of team ${team.name}; sign in with this one-time password:\n`);
  process.stdout.write(`${password}\n`);
} catch (err) {
  fail(err.message, 1);
} finally {
  await db.close();
}
