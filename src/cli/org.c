/* org.c - PLACEHOLDER for `enlace org` until its issue's work lands. */
#include "cli/cli.h"

int cli_org(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}
