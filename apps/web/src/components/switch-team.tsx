"use client";

/** Selects another of the user's teams (a preference cookie; membership is checked on the server) and reloads. */
export function selectTeam(teamId: string, then: string = window.location.pathname + window.location.search) {
  // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie (which team to show), checked on the server
  document.cookie = `perforator_team=${encodeURIComponent(teamId)}; path=/; max-age=31536000; samesite=lax`;
  window.location.assign(then);
}

export function SwitchTeam({ teamId, teamName }: { teamId: string; teamName: string }) {
  return (
    <div
      className="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-6 text-center shadow-sm"
      data-testid="switch-team"
    >
      <h1 className="text-lg font-semibold">This profile belongs to team {teamName}</h1>
      <p className="mt-2 text-sm text-slate-600">You are looking at another of your teams right now.</p>
      <button
        type="button"
        onClick={() => selectTeam(teamId)}
        className="mt-4 rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
      >
        Switch to {teamName}
      </button>
    </div>
  );
}
