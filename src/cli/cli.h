/* cli.h - the `enlace` command groups; each returns the process exit status (0 ok, 1 failure,
 * 2 usage error) and is the only code that prints to the user. */
#ifndef ENLACE_CLI_CLI_H
#define ENLACE_CLI_CLI_H

/* argv[0] is the command name ("init", "serve", ...); the rest are its arguments. */
int cli_init(int argc, char **argv);        /* enlace init DIR --party XX --org NAME */
int cli_serve(int argc, char **argv);       /* enlace serve DIR [--listen 127.0.0.1:PORT] ... */
int cli_user(int argc, char **argv);        /* enlace user add|list|disable ... */
int cli_token(int argc, char **argv);       /* enlace token create|revoke|list ... */
int cli_collection(int argc, char **argv);  /* enlace collection create|list|grant ... */
int cli_push(int argc, char **argv);        /* enlace push --url URL --collection ID FILE... */
int cli_get(int argc, char **argv);         /* enlace get --url URL --collection ID [filters] */

#endif
