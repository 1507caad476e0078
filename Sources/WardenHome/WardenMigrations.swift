import GRDB

/// Every schema migration of `warden.db`, in order. Each stage owns its tables; a migration,
/// once released, is never edited — add a new one.
public enum WardenMigrations {
    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        TrustSchema.register(in: &m)
        PolicySchema.register(in: &m)
        LedgerSchema.register(in: &m)
        return m
    }
}
