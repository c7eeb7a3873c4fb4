// A real S3 API server (s3rver) for the tests, in a child process so it can run with
// --openssl-legacy-provider (s3rver's paginated listings fail under OpenSSL 3 without it).
// Prints {"port":N} once listening; stops on SIGTERM.
import S3rver from "s3rver";

const [dir, bucket = "profiles"] = process.argv.slice(2);
const server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  directory: dir,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const { port } = await server.run();
console.log(JSON.stringify({ port }));
process.on("SIGTERM", async () => {
  await server.close();
  process.exit(0);
});
