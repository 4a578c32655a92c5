/* main.c - `enlace`: dispatch to the command groups (placeholder until the CLI lands). */
#include <stdio.h>
int main(void) { fputs("enlace: under construction\n", stderr); return 1; }
