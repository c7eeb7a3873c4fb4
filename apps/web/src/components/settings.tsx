"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { formatDate } from "../lib/format";
import { useTRPC } from "../trpc/react";

const card = "rounded-lg border border-slate-200 bg-white shadow-sm";
const th = "px-4 py-2 text-left text-xs font-medium text-slate-500";
const td = "px-4 py-2 text-sm";
const btn =
  "rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50";
const primary =
  "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60";
const select = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";

function Section({
  title,
  hint,
  children,
  testId,
}: {
  title: string;
  hint?: string;
  children: ReactNode;
  testId: string;
}) {
  return (
    <section className={card} data-testid={testId}>
      <div className="border-b border-slate-100 px-4 py-3">
        <h2 className="font-semibold">{title}</h2>
        {hint ? <p className="mt-0.5 text-xs text-slate-500">{hint}</p> : null}
      </div>
      {children}
    </section>
  );
}

function Secret({ label, value }: { label: string; value: string }) {
  return (
    <div className="m-4 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm" data-testid="secret">
      <p className="font-medium text-emerald-900">{label}</p>
      <input
        readOnly
        value={value}
        data-testid="secret-value"
        onFocus={(e) => e.currentTarget.select()}
        className="mt-2 w-full rounded border border-emerald-200 bg-white px-2 py-1 font-mono text-xs"
      />
    </div>
  );
}

/** Last cell of a row: the action button, or what already happened ("revoked"). */
function ActionCell({ done, label, onClick }: { done?: string | null; label: string; onClick: () => void }) {
  return (
    <td className={`${td} text-right`}>
      {done ?? (
        <button type="button" className={btn} onClick={onClick}>
          {label}
        </button>
      )}
    </td>
  );
}

function Members({ owner, userId }: { owner: boolean; userId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const members = useQuery(trpc.team.members.queryOptions());
  const setRole = useMutation(
    trpc.team.setRole.mutationOptions({ onSuccess: () => qc.invalidateQueries(trpc.team.members.queryFilter()) }),
  );
  return (
    <Section
      title="Members"
      hint="Owners manage members, invites and tokens; members upload and share; viewers read."
      testId="members"
    >
      <table className="w-full">
        <thead>
          <tr>
            <th className={th}>User</th>
            <th className={th}>Role</th>
            <th className={th}>Since</th>
            <th className={th} />
          </tr>
        </thead>
        <tbody>
          {members.data?.map((m) => (
            <tr key={m.userId} className="border-t border-slate-100">
              <td className={td}>
                <div className="font-medium">{m.name || m.email}</div>
                <div className="text-xs text-slate-500">{m.email}</div>
              </td>
              <td className={td}>
                {owner && m.userId !== userId ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    className={select}
                    value={m.role}
                    onChange={(e) =>
                      setRole.mutate({ userId: m.userId, role: e.target.value as "owner" | "member" | "viewer" })
                    }
                  >
                    <option value="owner">owner</option>
                    <option value="member">member</option>
                    <option value="viewer">viewer</option>
                  </select>
                ) : (
                  <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs">{m.role}</span>
                )}
              </td>
              <td className={`${td} text-slate-500`}>{formatDate(m.since)}</td>
              <td className={`${td} text-right`}>
                {owner && m.userId !== userId ? (
                  <button
                    type="button"
                    className={btn}
                    onClick={() => setRole.mutate({ userId: m.userId, role: null })}
                  >
                    Remove
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {setRole.error ? <p className="px-4 pb-3 text-sm text-red-700">{setRole.error.message}</p> : null}
    </Section>
  );
}

function Invites() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const invites = useQuery(trpc.team.invites.queryOptions());
  const refresh = () => qc.invalidateQueries(trpc.team.invites.queryFilter());
  const create = useMutation(trpc.team.createInvite.mutationOptions({ onSuccess: refresh }));
  const del = useMutation(trpc.team.deleteInvite.mutationOptions({ onSuccess: refresh }));
  const [role, setRole] = useState<"member" | "viewer" | "owner">("member");
  return (
    <Section
      title="Invite links"
      hint="Single use, valid for 7 days. Whoever opens one signs up into this team."
      testId="invites"
    >
      <div className="flex items-center gap-2 px-4 py-3">
        <select
          aria-label="Invite role"
          className={select}
          value={role}
          onChange={(e) => setRole(e.target.value as typeof role)}
        >
          <option value="member">member</option>
          <option value="viewer">viewer</option>
          <option value="owner">owner</option>
        </select>
        <button
          type="button"
          className={primary}
          data-testid="create-invite"
          onClick={() => create.mutate({ role, days: 7 })}
        >
          Create invite link
        </button>
      </div>
      {create.data ? (
        <Secret label="Send this link (shown once):" value={`${window.location.origin}${create.data.path}`} />
      ) : null}
      <table className="w-full">
        <tbody>
          {invites.data?.map((i) => (
            <tr key={i.id} className="border-t border-slate-100">
              <td className={td}>{i.role}</td>
              <td className={`${td} text-slate-500`}>created {formatDate(i.createdAt)}</td>
              <td className={`${td} text-slate-500`}>
                {i.usedAt
                  ? `used ${formatDate(i.usedAt)}`
                  : i.expiresAt < new Date()
                    ? "expired"
                    : `expires ${formatDate(i.expiresAt)}`}
              </td>
              <ActionCell label="Delete" onClick={() => del.mutate({ id: i.id })} />
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Tokens() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tokens = useQuery(trpc.team.tokens.queryOptions());
  const refresh = () => qc.invalidateQueries(trpc.team.tokens.queryFilter());
  const create = useMutation(trpc.team.createToken.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.team.revokeToken.mutationOptions({ onSuccess: refresh }));
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"ingest" | "read">("ingest");
  return (
    <Section
      title="API tokens"
      hint="Collectors upload with an ingest token (Authorization: Bearer …); read tokens only download and list."
      testId="tokens"
    >
      <form
        className="flex flex-wrap items-center gap-2 px-4 py-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) create.mutate({ name: name.trim(), scope });
        }}
      >
        <input
          aria-label="Token name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="name, e.g. prod-collectors"
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
        />
        <select
          aria-label="Token scope"
          className={select}
          value={scope}
          onChange={(e) => setScope(e.target.value as typeof scope)}
        >
          <option value="ingest">ingest</option>
          <option value="read">read</option>
        </select>
        <button type="submit" className={primary} data-testid="create-token" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.data ? <Secret label="Copy the token now: it is not shown again." value={create.data.token} /> : null}
      {create.error ? <p className="px-4 pb-3 text-sm text-red-700">{create.error.message}</p> : null}
      <table className="w-full">
        <thead>
          <tr>
            <th className={th}>Name</th>
            <th className={th}>Token</th>
            <th className={th}>Scope</th>
            <th className={th}>Created</th>
            <th className={th}>Last used</th>
            <th className={th} />
          </tr>
        </thead>
        <tbody data-testid="token-rows">
          {tokens.data?.map((t) => (
            <tr key={t.id} className={`border-t border-slate-100 ${t.revokedAt ? "text-slate-400" : ""}`}>
              <td className={td}>{t.name}</td>
              <td className={`${td} font-mono text-xs`}>{t.prefix}…</td>
              <td className={td}>{t.scope}</td>
              <td className={td}>{formatDate(t.createdAt)}</td>
              <td className={td}>{t.lastUsedAt ? formatDate(t.lastUsedAt) : "never"}</td>
              <ActionCell
                done={t.revokedAt ? "revoked" : null}
                label="Revoke"
                onClick={() => revoke.mutate({ id: t.id })}
              />
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function PublicLinks() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const links = useQuery(trpc.share.list.queryOptions());
  const revoke = useMutation(
    trpc.share.revoke.mutationOptions({ onSuccess: () => qc.invalidateQueries(trpc.share.list.queryFilter()) }),
  );
  return (
    <Section
      title="Public links"
      hint="Read-only links that work without signing in. Revoked links answer 404."
      testId="share-links"
    >
      {links.data?.length === 0 ? (
        <p className="px-4 py-3 text-sm text-slate-500">None yet: use “Public link” on any view.</p>
      ) : null}
      <table className="w-full">
        <tbody>
          {links.data?.map((l) => (
            <tr key={l.id} className={`border-t border-slate-100 ${l.revokedAt ? "text-slate-400" : ""}`}>
              <td className={td}>{l.kind}</td>
              <td className={`${td} font-mono text-xs`}>
                {l.revokedAt ? (
                  `/s/${l.id}`
                ) : (
                  <a href={`/s/${l.id}`} className="text-indigo-600 underline">
                    /s/{l.id}
                  </a>
                )}
              </td>
              <td className={td}>{formatDate(l.createdAt)}</td>
              <ActionCell
                done={l.revokedAt ? "revoked" : null}
                label="Revoke"
                onClick={() => revoke.mutate({ id: l.id })}
              />
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Account() {
  const [state, setState] = useState<{ ok?: boolean; message?: string }>({});
  return (
    <Section
      title="Your account"
      hint="Change the password (e.g. the one-time password the admin command printed)."
      testId="account"
    >
      <form
        className="flex flex-wrap items-center gap-2 px-4 py-3"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const f = new FormData(form);
          const res = await fetch("/api/auth/change-password", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              currentPassword: f.get("current"),
              newPassword: f.get("new"),
              revokeOtherSessions: true,
            }),
          });
          const data = (await res.json().catch(() => ({}))) as { message?: string };
          if (res.ok) form.reset();
          setState(
            res.ok
              ? { ok: true, message: "Password changed; other sessions were signed out." }
              : { ok: false, message: data.message ?? `the server answered ${res.status}` },
          );
        }}
      >
        <input
          name="current"
          type="password"
          required
          autoComplete="current-password"
          aria-label="Current password"
          placeholder="current password"
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
        />
        <input
          name="new"
          type="password"
          required
          minLength={8}
          autoComplete="new-password"
          aria-label="New password"
          placeholder="new password (8+ characters)"
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
        />
        <button type="submit" className={primary}>
          Change password
        </button>
        {state.message ? (
          <span
            role={state.ok ? "status" : "alert"}
            className={`text-sm ${state.ok ? "text-emerald-700" : "text-red-700"}`}
          >
            {state.message}
          </span>
        ) : null}
      </form>
    </Section>
  );
}

export function Settings({ teamName, role, userId }: { teamName: string; role: string; userId: string }) {
  const owner = role === "owner";
  return (
    <div className="mx-auto max-w-4xl space-y-5">
      <div>
        <h1 className="text-xl font-semibold">Settings</h1>
        <p className="text-sm text-slate-600">
          Team <b>{teamName}</b> · you are {role}
        </p>
      </div>
      <Members owner={owner} userId={userId} />
      {owner ? <Invites /> : null}
      {owner ? <Tokens /> : null}
      <PublicLinks />
      <Account />
    </div>
  );
}
