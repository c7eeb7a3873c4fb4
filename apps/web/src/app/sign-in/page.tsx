import { countUsers } from "@perforator/db";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthCard, AuthForm } from "../../components/auth-form";
import { ensureReady, getDatabase } from "../../server/db";

export const dynamic = "force-dynamic";

export default async function SignIn({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const database = getDatabase();
  await ensureReady(database);
  if (database.db && !database.error && (await countUsers(database.db)) === 0) redirect("/sign-up");
  const { next } = await searchParams;
  return (
    <AuthCard title="Sign in" subtitle="to your team's profiles">
      <AuthForm mode="sign-in" next={next} />
      <p className="mt-4 text-center text-xs text-slate-500">
        No account? Ask a team owner for an invite link.{" "}
        <Link href="/sign-up" className="underline">
          Sign up
        </Link>
      </p>
    </AuthCard>
  );
}
