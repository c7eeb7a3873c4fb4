"use client";

import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../trpc/react";
import { selectTeam } from "./switch-team";

/** A signed-in user opening an invite link joins that team with one click, then looks at it. */
export function AcceptInvite({ token, teamName }: { token: string; teamName: string }) {
  const trpc = useTRPC();
  const accept = useMutation(
    trpc.team.acceptInvite.mutationOptions({
      onSuccess: (m) => selectTeam(m.teamId, "/"),
    }),
  );
  return (
    <div className="space-y-3">
      <button
        type="button"
        data-testid="accept-invite"
        disabled={accept.isPending}
        onClick={() => accept.mutate({ token })}
        className="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
      >
        Join team {teamName}
      </button>
      {accept.error ? (
        <p role="alert" className="text-sm text-red-700">
          {accept.error.message}
        </p>
      ) : null}
    </div>
  );
}
