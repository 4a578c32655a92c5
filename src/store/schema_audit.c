/* schema_audit.c - migration step 4 (issue 4, audit log). PLACEHOLDER: replaced by the audit
 * schema. */
#include "store/migrate.h"

const char STORE_MIGRATION_AUDIT[] = "SELECT 1;";
