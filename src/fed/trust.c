/* trust.c - placeholder: being written (issue 5). */
typedef int enlace_placeholder_trust_t;
