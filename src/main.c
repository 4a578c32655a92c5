/* main.c - `enlace <command> [args]`: initialise libraries and dispatch to the command groups. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "client/client.h"
#include "util/secret.h"

#define ENLACE_VERSION "0.1.0"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"init", cli_init, "create a node: store, node key, its party and organization, admin user"},
    {"serve", cli_serve, "run the TAXII 2.1 server of a node"},
    {"user", cli_user, "add (organization, roles), list, disable, enable users; set passwords"},
    {"token", cli_token, "create, list and revoke bearer tokens"},
    {"collection", cli_collection, "create and list collections, grant users read/write, default TLP"},
    {"push", cli_push, "send STIX files to a TAXII 2.1 collection"},
    {"get", cli_get, "fetch objects (or the manifest) of a TAXII 2.1 collection"},
    {"party", cli_party, "add and list parties (sovereigns, ISO 3166-1 alpha-2 codes)"},
    {"org", cli_org, "add and list organizations; vet (unvet) another party's organization"},
    {"agreement", cli_agreement, "set, list and remove sharing agreements with partner parties"},
    {"review", cli_review, "list objects due for review (review_by)"},
    {"purge", cli_purge, "remove objects past review, leaving tombstones"},
    {"audit", cli_audit, "verify a node's signed tree heads; show audit log entries"},
    {"partner", cli_partner, "add, list, update, resume and remove partner nodes (federation)"},
    {"sync", cli_sync, "pull from partner nodes now (one pass), into mirror collections"},
    {"holdings", cli_holdings, "what a node holds: per collection, by originator and partner"},
    {"import", cli_import, "turn public lists (OFAC SDN) into STIX objects in a collection"},
};

static void usage(FILE *f) {
    fputs("usage: enlace <command> [args]\n"
          "       enlace <command> --help    usage of one command\n"
          "       enlace --version\n\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fputs("\nexit status: 0 ok, 1 failure, 2 usage error, 3 push: some objects rejected\n", f);
}

int main(int argc, char **argv) {
    if (enlace_secret_init() != 0) {
        fputs("enlace: cannot initialise libsodium\n", stderr);
        return CLI_EXIT_FAIL;
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("enlace %s\n", ENLACE_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0) continue;
        if (client_global_init() != 0) {
            fputs("enlace: cannot initialise libcurl\n", stderr);
            return CLI_EXIT_FAIL;
        }
        int rc = commands[i].run(argc - 1, argv + 1);
        client_global_cleanup();
        return rc;
    }
    fprintf(stderr, "enlace: unknown command '%s' (see 'enlace --help')\n", cmd);
    return CLI_EXIT_USAGE;
}
