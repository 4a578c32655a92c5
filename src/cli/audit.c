/* audit.c - PLACEHOLDER for `enlace audit` until its issue's work lands. */
#include "cli/cli.h"

int cli_audit(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}
