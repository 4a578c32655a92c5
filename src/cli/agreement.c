/* agreement.c - PLACEHOLDER for `enlace agreement` until its issue's work lands. */
#include "cli/cli.h"

int cli_agreement(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}
