/* worker.c - placeholder: being written (issue 5). */
typedef int enlace_placeholder_worker_t;
