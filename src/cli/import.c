/* import.c - placeholder: `enlace import` is being written (issue 5). */
#include "cli/cli.h"

int cli_import(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_fail("import", "not built yet");
}
