/* placeholder.c - keeps the audit library non-empty until the audit log (issue 4) lands; the
 * audit work deletes this file. */
typedef int audit_placeholder;
