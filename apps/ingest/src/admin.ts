#!/usr/bin/env node
/**
 * Server-side admin CLI: teams and API tokens, straight in the database (the same DATABASE_URL /
 * PERFORATOR_DATA_DIR as the ingest server). `pnpm --dir apps/ingest admin --help`.
 */
import { parseArgs } from "node:util";
import {
  createApiToken,
  createTeam,
  type Database,
  getTeamByName,
  listApiTokens,
  listTeams,
  openDatabase,
  revokeApiToken,
} from "@perforator/db";

const USAGE = `usage: pnpm --dir apps/ingest admin <command>

  team create NAME                                  create a team
  team list                                         list teams
  token create --team NAME --scope ingest|read [--name N]
                                                    create an API token; the token is the last line printed
  token list [--team NAME]                          list tokens (never the token itself)
  token revoke ID                                   revoke a token (it stops working within a second)

The database is DATABASE_URL (postgresql://…) or the embedded one under PERFORATOR_DATA_DIR, as for the server.
Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.`;

class UsageError extends Error {}
class Failure extends Error {}

async function teamOrFail(db: Database, name: string) {
  const team = await getTeamByName(db, name);
  if (!team) {
    const names = (await listTeams(db)).map((t) => t.name);
    throw new Failure(
      `no team named "${name}" (teams: ${names.join(", ") || "none"}); create it with: admin team create ${name}`,
    );
  }
  return team;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function run(argv: string[], db: Database, out: (s: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      team: { type: "string" },
      scope: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [noun, verb, arg, ...extra] = positionals;
  if (values.help || !noun) {
    out(USAGE);
    return;
  }
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
  await db.migrate();
  const cmd = `${noun} ${verb ?? ""}`.trim();
  switch (cmd) {
    case "team create": {
      if (!arg) throw new UsageError("team create needs a NAME, e.g. admin team create payments");
      if (await getTeamByName(db, arg)) throw new Failure(`team "${arg}" already exists`);
      const team = await createTeam(db, arg);
      out(`created team ${team.name} (id ${team.id})`);
      return;
    }
    case "team list": {
      const teams = await listTeams(db);
      out(table([["ID", "NAME", "CREATED"], ...teams.map((t) => [t.id, t.name, t.createdAt.toISOString()])]));
      return;
    }
    case "token create": {
      if (!values.team) throw new UsageError("token create needs --team NAME");
      const scope = values.scope;
      if (scope !== "ingest" && scope !== "read") {
        throw new UsageError(`token create needs --scope ingest or --scope read (got ${scope ?? "none"})`);
      }
      const team = await teamOrFail(db, values.team);
      const name = values.name ?? `${scope} token`;
      const { token, record } = await createApiToken(db, { teamId: team.id, scope, name });
      out(`created ${scope} token "${name}" for team ${team.name} (id ${record.id}); it is shown only once:`);
      out(token);
      return;
    }
    case "token list": {
      const teams = values.team ? [await teamOrFail(db, values.team)] : await listTeams(db);
      const rows: string[][] = [["ID", "TEAM", "SCOPE", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"]];
      for (const team of teams) {
        for (const t of await listApiTokens(db, team.id)) {
          rows.push([
            t.id,
            team.name,
            t.scope,
            t.name,
            t.prefix,
            t.createdAt.toISOString(),
            t.lastUsedAt?.toISOString() ?? "-",
            t.revokedAt?.toISOString() ?? "-",
          ]);
        }
      }
      out(table(rows));
      return;
    }
    case "token revoke": {
      if (!arg) throw new UsageError("token revoke needs the token ID (see: admin token list)");
      for (const team of await listTeams(db)) {
        const t = (await listApiTokens(db, team.id)).find((x) => x.id === arg);
        if (!t) continue;
        if (t.revokedAt) throw new Failure(`token ${arg} was already revoked at ${t.revokedAt.toISOString()}`);
        await revokeApiToken(db, team.id, arg);
        out(`revoked token ${arg} ("${t.name}", team ${team.name})`);
        return;
      }
      throw new Failure(`no token with id ${arg} (see: admin token list)`);
    }
    default:
      throw new UsageError(`unknown command "${positionals.join(" ")}"`);
  }
}

async function main(): Promise<number> {
  let db: Database | undefined;
  try {
    db = openDatabase({
      url: process.env.DATABASE_URL?.trim() || undefined,
      dataDir: process.env.PERFORATOR_DATA_DIR?.trim() || undefined,
    });
    await run(process.argv.slice(2), db, (s) => process.stdout.write(`${s}\n`));
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`admin: ${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    const where = db ? ` (database ${db.url})` : "";
    process.stderr.write(`admin: ${(err as Error).message}${err instanceof Failure ? "" : where}\n`);
    return 1;
  } finally {
    await db?.close();
  }
}

process.exitCode = await main();
