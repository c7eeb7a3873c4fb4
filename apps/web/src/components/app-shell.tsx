"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { Logo } from "./logo";
import { selectTeam } from "./switch-team";

export interface ShellProps {
  user: { email: string; name: string };
  teams: { teamId: string; teamName: string; role: string }[];
  current: { teamId: string; teamName: string; role: string } | null;
  children: ReactNode;
}

const NAV = [
  { href: "/", label: "Overview" },
  { href: "/explore", label: "Explore" },
  { href: "/diff", label: "Diff" },
  { href: "/upload", label: "Upload" },
  { href: "/settings", label: "Settings" },
];

async function signOut() {
  await fetch("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  window.location.assign("/sign-in");
}

export function AppShell({ user, teams, current, children }: ShellProps) {
  const path = usePathname();
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-[1400px] items-center gap-6 px-6">
          <Link href="/">
            <Logo />
          </Link>
          <nav className="flex items-center gap-1 text-sm">
            {NAV.map((n) => {
              const active = n.href === "/" ? path === "/" : path.startsWith(n.href);
              return (
                <Link
                  key={n.href}
                  href={n.href}
                  className={`rounded-md px-3 py-1.5 font-medium ${active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:text-slate-900"}`}
                >
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            {teams.length > 1 ? (
              <select
                aria-label="Team"
                data-testid="team-switcher"
                className="rounded-md border border-slate-300 bg-white px-2 py-1"
                value={current?.teamId ?? ""}
                onChange={(e) => selectTeam(e.target.value, "/")}
              >
                {teams.map((t) => (
                  <option key={t.teamId} value={t.teamId}>
                    {t.teamName}
                  </option>
                ))}
              </select>
            ) : current ? (
              <span className="rounded-md bg-slate-100 px-2 py-1 text-slate-700" data-testid="team-name">
                {current.teamName}
              </span>
            ) : null}
            <span className="text-slate-500" data-testid="user-email">
              {user.email}
              {current ? <span className="ml-1 text-xs text-slate-400">({current.role})</span> : null}
            </span>
            <button type="button" onClick={signOut} className="text-slate-600 hover:text-slate-900">
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="mx-auto w-full max-w-[1400px] flex-1 px-6 py-6">{children}</main>
    </div>
  );
}
