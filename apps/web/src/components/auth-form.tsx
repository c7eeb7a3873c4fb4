"use client";

import { useState } from "react";
import { Logo } from "./logo";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/20";

/** Email + password form posting to better-auth (`/api/auth/sign-in/email` or `/sign-up/email`). */
export function AuthForm({
  mode,
  inviteToken,
  next,
}: {
  mode: "sign-in" | "sign-up";
  inviteToken?: string;
  next?: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="space-y-4"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const f = new FormData(e.currentTarget);
        const body: Record<string, string> = { email: String(f.get("email")), password: String(f.get("password")) };
        if (mode === "sign-up") {
          body.name = String(f.get("name") || body.email!.split("@")[0]);
          if (inviteToken) body.inviteToken = inviteToken;
        }
        const res = await fetch(`/api/auth/${mode}/email`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).catch(() => null);
        if (!res) {
          setBusy(false);
          setError("cannot reach the server: check that it is running and try again");
          return;
        }
        if (!res.ok) {
          const data = (await res.json().catch(() => ({}))) as { message?: string };
          setBusy(false);
          setError(data.message ?? `the server answered ${res.status}`);
          return;
        }
        // Only same-site paths: a crafted ?next= must not send the user elsewhere.
        window.location.assign(next?.startsWith("/") && !next.startsWith("//") ? next : "/");
      }}
    >
      {mode === "sign-up" ? (
        <label className="block text-sm font-medium text-slate-700">
          Name
          <input name="name" autoComplete="name" className={input} />
        </label>
      ) : null}
      <label className="block text-sm font-medium text-slate-700">
        Email
        <input name="email" type="email" required autoComplete="email" className={input} />
      </label>
      <label className="block text-sm font-medium text-slate-700">
        Password
        <input
          name="password"
          type="password"
          required
          minLength={8}
          autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
          className={input}
        />
      </label>
      {error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={busy}
        className="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
      >
        {mode === "sign-in" ? "Sign in" : "Create account"}
      </button>
    </form>
  );
}

export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex justify-center">
          <Logo large />
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="text-lg font-semibold">{title}</h1>
          {subtitle ? <div className="mt-1 text-sm text-slate-600">{subtitle}</div> : null}
          <div className="mt-5">{children}</div>
        </div>
      </div>
    </main>
  );
}
