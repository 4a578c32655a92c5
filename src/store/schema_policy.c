/* schema_policy.c - migration step 3 (issue 3, originator control). PLACEHOLDER: replaced by
 * the policy schema. */
#include "store/migrate.h"

const char STORE_MIGRATION_POLICY[] = "SELECT 1;";
