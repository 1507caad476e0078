#include <sqlite3.h>
#include "wardensqlite.h"

int warden_sqlite_no_checkpoint_on_close(void *db) {
    int enabled = 0;
    int rc = sqlite3_db_config((sqlite3 *)db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &enabled);
    if (rc != SQLITE_OK) return rc;
    return enabled == 1 ? SQLITE_OK : SQLITE_ERROR;
}
