/*
 * The engine: the single thread that owns all contact-center state. It loads the
 * configuration, provisions the store, starts SIP and media, and turns their events into
 * calls, queues and recordings. Every other thread talks to it through message queues.
 */
#ifndef CENTRALA_ENGINE_H
#define CENTRALA_ENGINE_H

/* `centrala check FILE`: prints every configuration error (FILE:LINE:COL: path: message)
 * and warning; returns 0 when valid, 1 on errors, 2 on usage errors. */
int engine_check_cli(int argc, char **argv);
/* `centrala serve --config FILE`: runs until SIGINT/SIGTERM; returns the exit status. */
int engine_serve_cli(int argc, char **argv);

#endif
