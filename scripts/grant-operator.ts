/**
 * Operator bootstrap: makes an existing user a platform operator (User.platformRole = 'operator'),
 * who then gets the `platform:operator` scope (create tenants, manage any tenant's users) at login.
 *
 *   tsx scripts/grant-operator.ts <email>            grant
 *   tsx scripts/grant-operator.ts <email> --revoke   take it back
 *
 * Uses DATABASE_URL, or the embedded database under DATA_DIR (stop the server first: PGlite is
 * single-process). Existing access tokens keep their scopes until they expire; sign in again.
 */
import { loadConfig } from '../subgraphs/kernel/config.js';
import { openDatabase } from '../subgraphs/kernel/db.js';

async function main(argv: string[]): Promise<number> {
  const revoke = argv.includes('--revoke');
  const [email, ...extra] = argv.filter((a) => a !== '--revoke');
  if (!email || extra.length || !email.includes('@')) {
    process.stderr.write('usage: tsx scripts/grant-operator.ts <email> [--revoke]\n');
    return 2;
  }
  const config = loadConfig(process.env);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    const user = await database.prisma.user.findUnique({ where: { email: email.toLowerCase() } });
    if (!user) {
      process.stderr.write(`no user with email ${email}\n`);
      return 1;
    }
    await database.prisma.$transaction(async (tx) => {
      await tx.user.update({ where: { id: user.id }, data: { platformRole: revoke ? null : 'operator' } });
      await tx.auditEvent.create({
        data: {
          action: revoke ? 'platform.operator.revoked' : 'platform.operator.granted',
          targetType: 'user',
          targetId: user.id,
          actorKind: 'script',
          actorId: 'scripts/grant-operator.ts',
        },
      });
    });
    process.stdout.write(
      `${user.email} is ${revoke ? 'no longer' : 'now'} a platform operator (sign in again)\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
