/* sync.c - placeholder: `enlace sync` is being written (issue 5). */
#include "cli/cli.h"

int cli_sync(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_fail("sync", "not built yet");
}
