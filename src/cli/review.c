/* review.c - PLACEHOLDER for `enlace review` and `enlace purge` until issue 3's work lands. */
#include "cli/cli.h"

int cli_review(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}

int cli_purge(int argc, char **argv) {
    (void)argc;
    return cli_fail(argv[0], "not implemented yet");
}
