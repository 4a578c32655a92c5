/* partner.c - placeholder: `enlace partner` is being written (issue 5). */
#include "cli/cli.h"

int cli_partner(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_fail("partner", "not built yet");
}
