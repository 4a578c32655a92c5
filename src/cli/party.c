/* party.c - PLACEHOLDER for `enlace party` until its issue's work lands. */
#include "cli/cli.h"

int cli_party(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}
