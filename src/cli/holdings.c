/* holdings.c - placeholder: `enlace holdings` is being written (issue 5). */
#include "cli/cli.h"

int cli_holdings(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_fail("holdings", "not built yet");
}
