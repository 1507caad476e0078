#ifndef WARDEN_SQLITE_H
#define WARDEN_SQLITE_H

/// Turns off SQLite's checkpoint when the last connection to a WAL database closes
/// (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE). `db` is a `sqlite3 *`. Returns an SQLite result code.
/// A C shim because sqlite3_db_config is variadic, which Swift cannot call.
int warden_sqlite_no_checkpoint_on_close(void *db);

#endif
