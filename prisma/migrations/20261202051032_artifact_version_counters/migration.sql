-- AlterTable
ALTER TABLE "prompt" ADD COLUMN     "lastVersion" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "runtime_config" ADD COLUMN     "lastVersion" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "tool" ADD COLUMN     "lastVersion" INTEGER NOT NULL DEFAULT 0;
